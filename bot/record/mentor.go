package record

import "time"

// The kinds of what passes between a mentor and a pupil, and of a pupil's questions.
// They are declared here rather than in the dialogs that write them, so the period
// report and the digest (which must not import dialogs) read the same layout.
const (
	// KindNod is a mentor's nod: "your mentor has seen your check-in", with words.
	KindNod = "nod"
	// KindRelay is one message of a relayed conversation, either way.
	KindRelay = "relay"
	// KindNote is a mentor's note about a pupil, for the progress conversation.
	KindNote = "note"
	// KindQuestion is the pupil's copy of a question they asked a teacher.
	KindQuestion = "question"
)

// Note is a nod, one relayed message or a mentor's note, kept in the pupil's record.
type Note struct {
	From string    `json:"from"`
	To   string    `json:"to"`
	Text string    `json:"text,omitempty"`
	Time time.Time `json:"time"`
}

// Question is the pupil's copy of one question to a teacher: where it went and how it
// ended. The class's shared question record holds the whole thread; this copy outlives
// it for the digest, the period report, export and erase.
type Question struct {
	ID      string `json:"id"`
	Person  string `json:"person"`
	Class   string `json:"class"`
	Subject string `json:"subject,omitempty"`
	// To is the roster id of the staff member it is routed to ("" while unrouted).
	To string `json:"to,omitempty"`
	// Text is the question as first asked.
	Text string `json:"text"`
	// Anon: the pupil asked anonymously; a staff reader sees it only when the school's
	// policy shows teachers the names of anonymous askers.
	Anon bool `json:"anon,omitempty"`
	// Status is the question's status in dialogs/ask ("open", "answered", "closed",
	// "withdrawn"); Open reports whether it still waits for an answer.
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	// Updated is when the question last changed (routed, answered, closed).
	Updated time.Time `json:"updated,omitzero"`
}

// Waiting reports whether the question still waits for an answer.
func (q Question) Waiting() bool { return q.Status == "open" }

// VisibleTo reports whether reader (a roster id) may see the question in a digest, a
// summary or a report: the pupil who asked always; anyone else an anonymous question
// only when the school shows teachers who asked (anonShown, the policy
// teacher_sees_anonymous_name). Left out, it is not counted either: a count would tell.
func (q Question) VisibleTo(reader string, anonShown bool) bool {
	return !q.Anon || anonShown || (reader != "" && reader == q.Person)
}

// MentorKinds are the kinds of nods, relayed messages and mentor notes, each the
// pupil's own record (dialogs/nod writes them).
func MentorKinds() []Kind {
	staff := []string{"mentor of the pupil", "care coordinator"}
	return []Kind{
		{Name: KindNod, Key: "nod:{owner}:{id}", Shape: Document, Index: "nodix:{owner}", IndexUnit: Millis,
			Owners: OwnedByOwner, Readers: staff},
		{Name: KindRelay, Key: "relay:{owner}:{id}", Shape: Document, Index: "relayix:{owner}", IndexUnit: Millis,
			Owners: OwnedByOwner, PupilWords: true, Readers: staff},
		{Name: KindNote, Key: "note:{owner}:{id}", Shape: Document, Index: "noteix:{owner}", IndexUnit: Millis,
			Owners: OwnedByOwner, Readers: staff},
	}
}

// QuestionKind is the kind of a pupil's copy of their question (dialogs/ask writes it).
func QuestionKind() Kind {
	return Kind{Name: KindQuestion, Key: "qa:{owner}:{id}", Shape: Document, Index: "qaix:{owner}", IndexUnit: Millis,
		Owners: OwnedByOwner, PupilWords: true, Readers: []string{"mentor of the pupil (not anonymous questions, unless policy)", "care coordinator"}}
}

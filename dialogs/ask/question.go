package ask

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
)

// The statuses of a question.
const (
	// Draft: the pupil has not chosen the subject (or anonymity) yet.
	Draft = "draft"
	// Open: routed to Question.To, waiting for an answer.
	Open = "open"
	// Answered: the last entry of the thread is an answer.
	Answered = "answered"
	// Closed: the pupil said "thanks, clear".
	Closed = "closed"
	// Withdrawn: the pupil took the question back.
	Withdrawn = "withdrawn"
)

// Question is one pupil's question with its thread of follow-ups and answers. All
// questions of a class live in one shared record (kind "ask", id the class id), one
// versioned field each, so routing, grouping and answering are checked against
// concurrent changes.
type Question struct {
	ID      string `json:"id"`
	Asker   string `json:"asker"`
	Class   string `json:"class"`
	Subject string `json:"subject,omitempty"`
	// Anon hides the pupil's name from the teacher unless the class policy shows it.
	// Classmates never see it either way.
	Anon   bool   `json:"anon"`
	Status string `json:"status"`
	// To answers the question now; Escalated (the mentor, or the next in line) sees it
	// too once it waited too long.
	To        string `json:"to,omitempty"`
	Escalated string `json:"esc,omitempty"`
	// Group is the id of the question this one is grouped with: one answer reaches both.
	Group  string `json:"group,omitempty"`
	Source string `json:"src,omitempty"`
	// Created is when it was asked, Routed when it last went to someone (waiting time).
	Created   time.Time `json:"created"`
	Routed    time.Time `json:"routed,omitzero"`
	Thread    []Entry   `json:"thread"`
	Published bool      `json:"pub,omitempty"`
}

// Entry is one message of a question's thread.
type Entry struct {
	// By is "" for the pupil, else the staff member's roster id.
	By   string `json:"by,omitempty"`
	Text string `json:"text"`
}

// Text is the question as first asked.
func (q *Question) Text() string {
	if len(q.Thread) == 0 {
		return ""
	}
	return q.Thread[0].Text
}

// Last is the pupil's latest words in the thread (the question or a follow-up).
func (q *Question) Last() string {
	for i := len(q.Thread) - 1; i >= 0; i-- {
		if q.Thread[i].By == "" {
			return q.Thread[i].Text
		}
	}
	return ""
}

// Waiting reports whether the question waits for an answer.
func (q *Question) Waiting() bool { return q.Status == Open }

// Sees reports whether staff member id may read the question: the one it is routed to
// and, once escalated, the one it was escalated to.
func (q *Question) Sees(id string) bool {
	return id != "" && (q.To == id || q.Escalated == id)
}

// ref is the shared record of a class's questions.
func ref(class string) dialog.Ref { return dialog.Ref{Kind: Name, ID: class} }

// field is a question's field in the class record.
func field(id string) string { return "q:" + id }

// questions reads every question of a class record.
func questions(s dialog.Shared) map[string]*Question {
	out := map[string]*Question{}
	for f, v := range s.Fields {
		id, ok := strings.CutPrefix(f, "q:")
		if !ok {
			continue
		}
		var q Question
		if json.Unmarshal([]byte(v), &q) == nil && q.ID == id {
			out[id] = &q
		}
	}
	return out
}

// sorted returns qs oldest first (ties by id, so the order is stable).
func sorted(qs map[string]*Question) []*Question {
	out := make([]*Question, 0, len(qs))
	for _, q := range qs {
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// newID derives a question id from the event that made it: stable across the Engine's
// retries of the step, and neither a counter nor a time, so it orders no one.
func newID(event string) string {
	h := sha256.Sum256([]byte("ask|" + event))
	return hex.EncodeToString(h[:4])
}

// aliases is how many pseudonyms the catalogs hold (ask.alias.0 … ask.alias.N-1).
const aliases = 24

// Alias is the question's pseudonym in the reader's language: an animal picked by a
// hash of the question id, with the id's first letters so two questions rarely share
// one. It is stable per question and says nothing about who asked or when.
func Alias(L *i18n.Localizer, id string) string {
	h := sha256.Sum256([]byte("alias|" + id))
	n := (int(h[0])<<8 | int(h[1])) % aliases
	return L.T("ask.alias", "Animal", L.T("ask.alias."+itoa(n)), "Code", strings.ToUpper(id[:min(3, len(id))]))
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

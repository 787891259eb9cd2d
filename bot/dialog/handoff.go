package dialog

// Asker is implemented by the dialog that takes pupils' questions. Other dialogs hand
// it a pupil's words that turned out to be a question (the check-in's "what do you need
// help with?", the inbox's "it's a question"): TakeQuestion returns the messages and
// effects (in a Result; its State and stack fields are ignored) that start the question
// in the caller's own step, so the hand-over commits atomically with the caller's state.
// The caller has checked text for safeguarding phrases (Input.AlertsIn) already.
type Asker interface {
	TakeQuestion(in Input, text, source string) Result
}

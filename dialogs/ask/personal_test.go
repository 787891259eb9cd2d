package ask_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/ask"
)

// TestPersonalIsTheAskersQuestionsOnly: of a class's question record, anna's share is
// her own questions, not daan's question grouped with hers, nor another kind's record.
func TestPersonalIsTheAskersQuestionsOnly(t *testing.T) {
	q := func(id, asker, group string) string {
		b, _ := json.Marshal(ask.Question{ID: id, Asker: asker, Group: group, Status: ask.Open, Thread: []ask.Entry{{Text: asker + "'s question"}}})
		return string(b)
	}
	rec := dialog.Shared{Ref: dialog.Ref{Kind: ask.Name, ID: "2B"}, Exists: true, Fields: map[string]string{
		"q:1": q("1", "anna", ""), "q:2": q("2", "daan", "1"), "q:3": q("3", "anna", ""), "q:4": "not json"},
		Members: map[string]string{"anna": "1", "daan": "1"}}
	d := ask.New()
	got := d.Personal(ask.Name, rec, "anna")
	if want := []string{"q:1", "q:3"}; !reflect.DeepEqual(got.Fields, want) || got.Whole || got.Erase != nil {
		t.Errorf("anna's share %+v, want fields %v deleted", got, want)
	}
	if got := d.Personal(ask.Name, rec, "daan"); !reflect.DeepEqual(got.Fields, []string{"q:2"}) {
		t.Errorf("daan's share %+v", got)
	}
	if got := d.Personal("question", rec, "anna"); got.Fields != nil {
		t.Errorf("another kind: %+v", got)
	}
}

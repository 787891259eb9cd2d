package terms_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/terms"
)

// TestPersonalTermsAreTheProposers: the terms named from anna's words are hers; a
// teacher's own term and daan's are not.
func TestPersonalTermsAreTheProposers(t *testing.T) {
	term := func(word, proposer string) string {
		b, _ := json.Marshal(terms.Term{Word: word, Text: "uitleg", Source: terms.FromPrompt, By: "bakker", Proposer: proposer})
		return string(b)
	}
	rec := dialog.Shared{Ref: terms.Ref("2B"), Exists: true, Fields: map[string]string{
		"t.a": term("a", "anna"), "t.b": term("b", ""), "t.c": term("c", "daan"), "t.d": term("d", "anna")}}
	got := terms.New().Personal(terms.Name, rec, "anna")
	if want := []string{"t.a", "t.d"}; !reflect.DeepEqual(got.Fields, want) || got.Whole {
		t.Errorf("anna's share %+v, want %v", got, want)
	}
	if got := terms.New().Personal(terms.Name, rec, "bakker"); got.Fields != nil {
		t.Errorf("the teacher who saved them gets %+v", got)
	}
}

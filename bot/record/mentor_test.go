package record

import "testing"

func TestQuestionVisibleTo(t *testing.T) {
	named := Question{Person: "anna"}
	anon := Question{Person: "anna", Anon: true}
	for _, c := range []struct {
		q         Question
		reader    string
		anonShown bool
		want      bool
	}{
		{named, "devries", false, true},
		{anon, "anna", false, true}, // the pupil always sees her own
		{anon, "devries", false, false},
		{anon, "", false, false}, // an unknown reader is not the pupil
		{anon, "devries", true, true},
	} {
		if got := c.q.VisibleTo(c.reader, c.anonShown); got != c.want {
			t.Errorf("%+v visible to %q (anonShown %v) = %v, want %v", c.q, c.reader, c.anonShown, got, c.want)
		}
	}
}

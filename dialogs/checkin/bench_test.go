package checkin

import (
	"testing"

	"github.com/kring-school/kring/bot/dialog"
)

// BenchmarkStep measures one mood answer: decode the state, accept the mood, ask the
// goal question, encode the state.
func BenchmarkStep(b *testing.B) {
	s := newSim(b, false)
	s.start("cas")
	s.press("cas", "checkin.open", "skip")
	in := s.input("cas", dialog.Choice)
	in.Action, in.Value = "checkin.mood", "4"
	d := New()
	b.ReportAllocs()
	for b.Loop() {
		res, err := d.Step(in)
		if err != nil || len(res.Messages) != 1 {
			b.Fatalf("step: %v %+v", err, res)
		}
	}
}

// BenchmarkTextStep measures one typed answer to the open question, safeguarding check
// included (a typical answer of about 60 characters, no alert).
func BenchmarkTextStep(b *testing.B) {
	s := newSim(b, false)
	s.start("cas")
	in := s.input("cas", dialog.Text)
	in.Text = "Gisteren laat naar bed, vandaag eerst wiskunde en dan gym"
	d := New()
	b.ReportAllocs()
	for b.Loop() {
		res, err := d.Step(in)
		if err != nil || len(res.Messages) != 1 {
			b.Fatalf("step: %v %+v", err, res)
		}
	}
}

package ask

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/dialog"
)

func BenchmarkSimilarity(b *testing.B) {
	for b.Loop() {
		Similarity("Hoe deel je een breuk door een breuk?", "hoe moet je breuken delen door een andere breuk??")
	}
}

// BenchmarkAnswerStepFullRecord is a teacher's answer on a class record holding n
// questions (about a month of a busy class before the sweep drops finished ones): the
// step decodes every question of the record.
func BenchmarkAnswerStepFullRecord(b *testing.B) {
	for _, n := range []int{10, 100, 300} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			t := &testing.T{}
			s := newSim(t)
			rec := s.rec(ref("2B"))
			var target *Question
			for i := range n {
				q := &Question{ID: fmt.Sprintf("%08x", i), Asker: "anna", Class: "2B", Subject: "wiskunde", Anon: true, Status: Answered,
					To: "bakker", Created: s.now.Add(-time.Duration(i) * time.Hour), Thread: []Entry{{Text: "Een vraag van gemiddelde lengte over breuken en procenten, nummer " + fmt.Sprint(i)}, {By: "bakker", Text: "Een antwoord van gemiddelde lengte."}}}
				if i == n-1 {
					q.Status, q.Thread = Open, q.Thread[:1]
					target = q
				}
				doc, _ := json.Marshal(q)
				rec.Fields[field(q.ID)] = string(doc)
			}
			in := dialog.Input{Kind: dialog.Form, Action: Name + ".answer:" + join(target), Fields: map[string]string{FormField: "Omkeren."}}
			p := s.person("bakker")
			in.Now, in.School, in.Person, in.L, in.LocalizerFor = s.now, s.school, p, s.cat.For("nl"), nil
			in.Shared = map[dialog.Ref]dialog.Shared{ref("2B"): *rec}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.d.Step(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package discussion

import (
	"strings"

	"github.com/kring-school/kring/bot/prompt"
)

// Similar is how much two answers' words must overlap (Jaccard) to count as
// near-identical in the teacher's digest.
const Similar = 0.75

// Group returns the pupils who answered p, near-identical answers together: the same
// text once case, accents and punctuation are ignored, or words that overlap by at
// least Similar. Groups keep the order of first answers.
func Group(p promptRec) [][]string {
	var groups [][]string
	var reps []map[string]bool
	var keys []string
	for _, who := range p.order() {
		text := p.Answers[who].Text
		k := prompt.Normalize(text)
		ws := words(text)
		placed := false
		for i := range groups {
			if k == keys[i] || jaccard(ws, reps[i]) >= Similar {
				groups[i] = append(groups[i], who)
				placed = true
				break
			}
		}
		if !placed {
			groups = append(groups, []string{who})
			reps = append(reps, ws)
			keys = append(keys, k)
		}
	}
	return groups
}

func words(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(s) {
		if n := prompt.Normalize(w); n != "" {
			out[n] = true
		}
	}
	return out
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

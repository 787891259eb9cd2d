package ask

import (
	"reflect"
	"testing"
)

func TestSimilarity(t *testing.T) {
	alike := [][2]string{
		{"Hoe deel je een breuk door een breuk?", "hoe moet je breuken delen door een andere breuk??"},
		{"Hoe deel je een breuk door een breuk?", "Hoe deel ik breuken door elkaar?"},
		{"Ik snap breuken delen niet", "Hoe moet je breuken delen?"},
		{"How do you divide fractions?", "how do I divide a fraction by a fraction"},
		{"Wat is de stelling van Pythagoras?", "wat zegt de stelling van pythagoras precies"},
		{"Wanneer moet het verslag over de Gouden Eeuw af?", "wanneer moet het verslag gouden eeuw ingeleverd worden"},
	}
	for _, p := range alike {
		if s := Similarity(p[0], p[1]); s < Similar {
			t.Errorf("%q ~ %q = %.2f, want ≥ %.2f", p[0], p[1], s, Similar)
		}
	}
	apart := [][2]string{
		{"Hoe deel je een breuk door een breuk?", "Wat is de stelling van Pythagoras?"},
		{"Hoe deel je een breuk door een breuk?", "Wanneer was de Vrede van Münster?"},
		{"How do you divide fractions?", "How do you spell necessary?"},
		{"Hoe moet je dat doen?", "Hoe moet je dit doen dan?"}, // only stop words: no content to compare
		{"Wanneer is de toets wiskunde?", "Wanneer is de toets Frans?"},
	}
	for _, p := range apart {
		if s := Similarity(p[0], p[1]); s >= Similar {
			t.Errorf("%q ~ %q = %.2f, want < %.2f", p[0], p[1], s, Similar)
		}
	}
	if s := Similarity("Één breuk", "een BREUK!"); s < 0.99 {
		t.Errorf("case and accents should not matter: %.2f", s)
	}
	if s := Similarity("", "breuken"); s != 0 {
		t.Errorf("empty text similarity %.2f", s)
	}
}

func TestWordsDropStopWordsAndFoldAccents(t *testing.T) {
	got := Words("Hoe moet je de Vrede van Münster uitleggen? How do I explain it")
	want := []string{"vrede", "munster", "uitleggen", "explain"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Words = %v, want %v", got, want)
	}
}

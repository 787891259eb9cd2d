package ask

import (
	"math"
	"strings"
	"unicode"

	"github.com/kring-school/kring/bot/prompt"
)

// Similar is the similarity from which a new question is offered to its teacher as
// part of a group with an open one.
const Similar = 0.5

// Similarity compares two questions, Dutch or English, from 0 (nothing in common) to 1.
//
// The measure is the cosine of the character-trigram profiles of the questions' content
// words: the text is lowercased, accents are folded ("één" = "een"), Dutch and English
// stop words ("hoe", "je", "de", "how", "do", "the") are dropped, and each remaining word
// contributes its trigrams with spaces around it ("breuk" → " br", "bre", "reu", "euk",
// "uk "). Why trigrams and not stemmed words: pupils inflect and compound ("deel",
// "delen", "breuken", "breukensommen", "fraction", "fractions") and misspell; trigrams
// match those without a stemmer per language, and two languages need no dictionary.
// Dropping stop words first keeps "Hoe moet je ..." from making every question alike.
func Similarity(a, b string) float64 {
	va, vb := profile(a), profile(b)
	if len(va) == 0 || len(vb) == 0 {
		return 0
	}
	var dot, na, nb float64
	for g, x := range va {
		na += x * x
		dot += x * vb[g]
	}
	for _, y := range vb {
		nb += y * y
	}
	return dot / math.Sqrt(na*nb)
}

// Words returns the content words of a question: lowercase, accents folded, stop words
// dropped.
func Words(s string) []string {
	// Accents folded once for the whole text (as prompt.Normalize does per word).
	s = prompt.FoldAccents(s)
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

func profile(s string) map[string]float64 {
	v := map[string]float64{}
	for _, w := range Words(s) {
		r := []rune(" " + w + " ")
		for i := 0; i+3 <= len(r); i++ {
			v[string(r[i:i+3])]++
		}
	}
	return v
}

// stopWords are the Dutch and English function words that say nothing about what a
// question is about (and question words every question has).
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
de het een en of maar als dan dat die dit deze is zijn was waren ben bent wordt worden
word werd ik je jij u we wij ze zij hij het mij me mijn jouw jou uw ons onze hun hem haar
er hier daar in op aan bij met van voor naar uit over door om tot te tegen tussen onder
hoe wat waarom wanneer waar wie welke welk moet moeten kan kun kunt kunnen mag mogen
wil wilt willen zal zullen zou zouden heb hebt heeft hebben had doe doet doen gaat gaan
niet geen wel ook nog al toch even eens zo heel erg meer veel goed snap snappen begrijp
begrijpen precies eigenlijk iets alles dus want omdat maar nou ja nee juf meneer mevrouw
vraag vragen
the a an and or but if then that this these those is are was were be been being am do
does did doing have has had i you he she it we they me my your our their him her them
in on at by with of for to from into about over under between through how what why
when where who which whose whom can could should would will shall may might must not no
yes also still just so very really please get got understand know don t s help
question questions teacher miss sir
`) {
		m[w] = true
	}
	return m
}()

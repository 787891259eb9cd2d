package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuestionsTranscript plays examples/questions.kring: two pupils ask nearly the same
// maths question anonymously, the teacher answers once, both get the answer and it is
// published; a question for a teacher Kring cannot reach goes to the mentor. Run with
// -update after an intended change.
func TestQuestionsTranscript(t *testing.T) {
	t.Setenv("KRING_REDIS_URL", "")
	out, errs, code := runKring(t, "", "shell", "--config", "../../examples/school.yaml", "--script", "../../examples/questions.kring")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden := filepath.Join("testdata", "questions.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/kring -run Questions -update to create it)", err)
	}
	if out != string(want) {
		t.Fatalf("transcript differs from %s; rerun with -update if intended.\n--- got ---\n%s", golden, out)
	}
	// The story, checked independently of the exact wording.
	const answer = "Je keert de tweede breuk om"
	got := map[string]bool{}
	var post string
	for _, block := range strings.Split(out, "\n[") {
		switch {
		case strings.HasPrefix(block, "DM → Anna de Boer] 💬 Mevr. Bakker") && strings.Contains(block, answer):
			got["anna"] = true
		case strings.HasPrefix(block, "DM → Daan Visser] 💬 Mevr. Bakker") && strings.Contains(block, answer):
			got["daan"] = true
		case strings.HasPrefix(block, "klas 2B]"):
			post = block
		case strings.HasPrefix(block, "DM → Dhr. De Vries] Nieuwe vraag") && strings.Contains(block, "metafoor"):
			got["mentor"] = true
		case strings.HasPrefix(block, "DM → Sanne Smit] Kring kan Mevr. Bakker niet bereiken") && strings.Contains(block, "Dhr. De Vries"):
			got["told"] = true
		}
	}
	for _, k := range []string{"anna", "daan", "mentor", "told"} {
		if !got[k] {
			t.Errorf("transcript lacks %s", k)
		}
	}
	if strings.Count(out, "bakker> Je keert de tweede breuk om") != 1 {
		t.Error("the teacher should answer exactly once")
	}
	if !strings.Contains(post, answer) {
		t.Errorf("the answer was not published to the class: %q", post)
	}
	for _, name := range []string{"Anna", "Daan", "anna", "daan"} {
		if strings.Contains(post, name) {
			t.Errorf("the class post names %s: %q", name, post)
		}
	}
	if i := strings.Index(out, ":offline bakker"); i < 0 || strings.Contains(out[i:], "[DM → Mevr. Bakker]") {
		t.Error("a message went to the teacher Kring cannot reach")
	}
}

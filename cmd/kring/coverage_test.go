package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// config check names, per platform the school is set up for, the people without an
// id there and the classes without a channel, and warns about people no platform reaches.
func TestConfigCheckReportsWhoCannotBeReached(t *testing.T) {
	raw, err := os.ReadFile("../../examples/school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "guild: \"\"", "guild: \"200000000000000001\"", 1)
	path := filepath.Join(t.TempDir(), "school.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runKring(t, "", "config", "check", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"discord: 10 of 10 people have no discord id", "devries (", "discord: 1 class has no discord channel", "2B", "cannot be reached on any platform"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check output lacks %q:\n%s", want, out)
		}
	}
}

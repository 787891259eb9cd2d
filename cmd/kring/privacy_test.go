package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/store/embedded"
	"github.com/kring-school/kring/bot/store/storetest"
)

// TestPrivacyExportAndErase seeds a school week through the real Kring (the example
// scripts: check-ins, an alert, questions grouped with a classmate's, a discussion, a
// debate, a poll, a mentor's nods, notes and relayed messages, link codes) on Redis and
// on the embedded store, then checks that anna's export holds all of her words and
// nothing of daan's, that a dry run and refusals change nothing, and that the erasure
// leaves no key, field or value of hers (audit entries aside) and all of daan's.
func TestPrivacyExportAndErase(t *testing.T) {
	t.Setenv("KRING_REDIS_URL", "")
	for _, kind := range []string{"redis", "embedded"} {
		t.Run(kind, func(t *testing.T) {
			var storeArgs []string
			var open func() (redis.UniversalClient, func())
			prefix := storetest.Prefix(t)
			if kind == "redis" {
				rdb, p := storetest.Redis(t)
				prefix = p
				url := os.Getenv(storetest.EnvURL)
				if url == "" {
					url = storetest.DefaultURL
				}
				storeArgs = []string{"--redis", url, "--prefix", prefix}
				open = func() (redis.UniversalClient, func()) { return rdb, func() {} }
			} else {
				path := filepath.Join(t.TempDir(), "kring.json")
				storeArgs = []string{"--data", path, "--prefix", prefix}
				open = func() (redis.UniversalClient, func()) {
					srv, err := embedded.Open(path, clock.Real{}, nil)
					if err != nil {
						t.Fatal(err)
					}
					rdb := srv.NewClient()
					return rdb, func() { _ = rdb.Close(); _ = srv.Close() }
				}
			}
			kring := func(args ...string) (string, string, int) {
				t.Helper()
				args = append(append(args, "--config", "../../examples/school.yaml", "--log-level", "error"), storeArgs...)
				return runKring(t, "", args...)
			}
			for _, script := range []string{"demo", "discussion", "debate", "poll", "questions", "mentor"} {
				if _, errs, code := kring("shell", "--script", "../../examples/"+script+".kring"); code != 0 {
					t.Fatalf("%s: exit %d: %s", script, code, errs)
				}
			}
			for _, script := range []string{"testdata/privacy.kring"} {
				if _, errs, code := kring("shell", "--script", script); code != 0 {
					t.Fatalf("%s: exit %d: %s", script, code, errs)
				}
			}
			for _, who := range []string{"anna", "daan"} {
				if _, errs, code := kring("link", "codes", "--person", who, "--out", t.TempDir()); code != 0 {
					t.Fatalf("link codes %s: exit %d: %s", who, code, errs)
				}
			}
			base := prefix + ":{demo}:"
			before := dumpStore(t, open, base)
			// Texts that reached several pupils (the day plan as their goal, one answer to
			// grouped questions) are nobody's own: only the texts of one pupil count.
			pupils := map[string]map[string]bool{}
			seen := map[string]int{}
			for _, p := range []string{"anna", "daan", "sanne", "milan", "fleur", "yusuf"} {
				pupils[p] = wordsOf(before, p)
				for w := range pupils[p] {
					seen[w]++
				}
			}
			for _, words := range pupils {
				for w := range words {
					if seen[w] > 1 {
						delete(words, w)
					}
				}
			}
			anna, daan := pupils["anna"], pupils["daan"]
			if len(anna) < 5 || len(daan) < 5 {
				t.Fatalf("seeding gave too little to check: anna %d texts, daan %d", len(anna), len(daan))
			}
			for _, prefix := range []string{"ci:", "alert:", "ask:", "qa:", "disc:", "deb:", "nod:", "note:", "relay:", "lcp:", "tb:"} {
				if !hasKey(before, prefix, "anna") {
					t.Errorf("the seed holds no %s… key with anna's data; the test would prove nothing about it", prefix)
				}
			}

			// Export: all of hers, none of his.
			out := t.TempDir()
			stdout, errs, code := kring("privacy", "export", "--as", "mulder", "--person", "anna", "--out", filepath.Join(out, "x"))
			if code != 0 {
				t.Fatalf("export: exit %d: %s", code, errs)
			}
			path := strings.TrimSpace(stdout)
			if filepath.Dir(path) != filepath.Join(out, "x") || !strings.HasPrefix(filepath.Base(path), "export-anna-") {
				t.Fatalf("export written to %q", path)
			}
			for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
				if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
					t.Errorf("%s: %v, mode %v; want %v", p, err, fi.Mode().Perm(), want)
				}
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("export is not JSON: %v", err)
			}
			leaves := stringsIn(doc, nil)
			texts := strings.Join(leaves, "\n")
			for w := range anna {
				if !slices.Contains(leaves, w) {
					t.Errorf("export lacks anna's %q", w)
				}
			}
			for w := range daan {
				if slices.Contains(leaves, w) {
					t.Errorf("export holds daan's %q", w)
				}
			}
			if token("daan").MatchString(texts) {
				t.Errorf("export names daan:\n%s", grepLines(texts, token("daan")))
			}
			afterExport := dumpStore(t, open, base)
			if n := auditNaming(afterExport, `"action":"privacy-export","subject":"anna"`); n != 1 {
				t.Errorf("%d privacy-export audit entries, want 1", n)
			}

			// Refusals and a dry run change nothing.
			if _, errs, code := kring("privacy", "erase", "--as", "devries", "--person", "anna", "--confirm", "--force"); code != 1 || !strings.Contains(errs, "refused") {
				t.Errorf("a mentor: exit %d, %q", code, errs)
			}
			if _, errs, code := kring("privacy", "erase", "--as", "mulder", "--person", "anna", "--confirm"); code != 1 || !strings.Contains(errs, "still on the roster") || !strings.Contains(errs, "--force") {
				t.Errorf("on the roster: exit %d, %q", code, errs)
			}
			stdout, errs, code = kring("privacy", "erase", "--as", "elamrani", "--person", "anna", "--force")
			if code != 0 || !strings.Contains(stdout, "Dry run") || !strings.Contains(stdout, "checkin") {
				t.Errorf("dry run: exit %d, %q %q", code, stdout, errs)
			}
			if after := dumpStore(t, open, base); !reflect.DeepEqual(after, afterExport) {
				t.Errorf("refusals or the dry run changed the store: %v", diffKeys(afterExport, after))
			}

			// Erase: nothing of hers is left but the audit log; all of his is.
			stdout, errs, code = kring("privacy", "erase", "--as", "mulder", "--person", "anna", "--force", "--confirm")
			if code != 0 || !strings.Contains(stdout, "Erased:") {
				t.Fatalf("erase: exit %d, %q %q", code, stdout, errs)
			}
			after := dumpStore(t, open, base)
			for k, fields := range after {
				if strings.HasPrefix(k, "audit:") {
					continue
				}
				if token("anna").MatchString(k) {
					t.Errorf("key %s left", k)
				}
				for f, v := range fields {
					if token("anna").MatchString(f) || token("anna").MatchString(v) {
						t.Errorf("%s %s = %.200q left", k, f, v)
					}
					if w, ok := holdsAny(v, anna); ok {
						t.Errorf("%s %s still holds anna's %q", k, f, w)
					}
				}
			}
			for k, fields := range before {
				if strings.HasPrefix(k, "audit:") || strings.HasPrefix(k, "e:") || strings.HasPrefix(k, "tm") || strings.HasPrefix(k, "tb:") || k == "shell" {
					continue // written by the runs themselves
				}
				for f, v := range fields {
					if _, his := holdsAny(v, daan); his || token("daan").MatchString(k) || token("daan").MatchString(f) {
						if after[k][f] != v {
							t.Errorf("daan's %s %s changed: %.100q -> %.100q", k, f, v, after[k][f])
						}
					}
				}
			}
			if n := auditNaming(after, `"subject":"anna"`); n < 3 {
				t.Errorf("%d audit entries about anna kept; the erasure keeps them by default", n)
			}
			if n := auditNaming(after, `"action":"privacy-erase","subject":"anna"`); n != 1 {
				t.Errorf("%d privacy-erase audit entries, want 1", n)
			}

			// --audit removes the entries about her alone, but not the record of the requests.
			if _, errs, code = kring("privacy", "erase", "--as", "mulder", "--person", "anna", "--force", "--confirm", "--audit"); code != 0 {
				t.Fatalf("erase --audit: exit %d, %q", code, errs)
			}
			final := dumpStore(t, open, base)
			if n, m := auditNaming(final, `"subject":"anna"`), auditNaming(final, `"action":"privacy-`); n != m || m != 3 {
				t.Errorf("after --audit: %d entries about anna, %d of them privacy requests; want only the 3 requests", n, m)
			}
		})
	}
}

// dumpStore reads every key under base: a hash by field, a string as field "",
// sorted-set members with their score, list entries by position.
func dumpStore(t *testing.T, open func() (redis.UniversalClient, func()), base string) map[string]map[string]string {
	t.Helper()
	rdb, done := open()
	defer done()
	ctx := context.Background()
	out := map[string]map[string]string{}
	iter := rdb.Scan(ctx, 0, base+"*", 1000).Iterator()
	for iter.Next(ctx) {
		full := iter.Val()
		k := strings.TrimPrefix(full, base)
		m := map[string]string{}
		switch rdb.Type(ctx, full).Val() {
		case "hash":
			m = rdb.HGetAll(ctx, full).Val()
		case "string":
			m[""] = rdb.Get(ctx, full).Val()
		case "zset":
			for _, z := range rdb.ZRangeWithScores(ctx, full, 0, -1).Val() {
				m[fmt.Sprint(z.Member)] = fmt.Sprint(z.Score)
			}
		case "list":
			for i, v := range rdb.LRange(ctx, full, 0, -1).Val() {
				m[fmt.Sprint(i)] = v
			}
		}
		out[k] = m
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func token(id string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^A-Za-z0-9._-])` + regexp.QuoteMeta(id) + `([^A-Za-z0-9._-]|$)`)
}

// wordsOf collects what person wrote or had written about them: the free texts (with a
// space, at least 12 characters) in their own keys and in their fields of shared records.
func wordsOf(dump map[string]map[string]string, person string) map[string]bool {
	words := map[string]bool{}
	re := token(person)
	for k, fields := range dump {
		if strings.HasPrefix(k, "audit:") || strings.HasPrefix(k, "om:") || strings.HasPrefix(k, "e:") {
			continue
		}
		for f, v := range fields {
			if !re.MatchString(k) && f != "m:"+person {
				continue
			}
			var doc any
			var texts []string
			if json.Unmarshal([]byte(v), &doc) == nil {
				texts = stringsIn(doc, nil)
			} else {
				texts = []string{v}
			}
			for _, s := range texts {
				if len([]rune(s)) >= 12 && strings.Contains(s, " ") {
					words[s] = true
				}
			}
		}
	}
	return words
}

// stringsIn lists every string in a decoded JSON value, and the JSON documents that
// strings hold, recursively.
func stringsIn(v any, out []string) []string {
	switch x := v.(type) {
	case string:
		out = append(out, x)
		var inner any
		if t := strings.TrimSpace(x); (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Unmarshal([]byte(t), &inner) == nil {
			out = stringsIn(inner, out)
		}
	case []any:
		for _, e := range x {
			out = stringsIn(e, out)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, k)
			out = stringsIn(x[k], out)
		}
	}
	return out
}

func hasKey(dump map[string]map[string]string, prefix, person string) bool {
	for k, fields := range dump {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if token(person).MatchString(k) || fields["m:"+person] != "" {
			return true
		}
		for _, v := range fields {
			if strings.Contains(v, `"`+person+`"`) {
				return true
			}
		}
	}
	return false
}

func auditNaming(dump map[string]map[string]string, part string) int {
	n := 0
	for k, entries := range dump {
		if strings.HasPrefix(k, "audit:") {
			for _, e := range entries {
				if strings.Contains(e, part) {
					n++
				}
			}
		}
	}
	return n
}

// holdsAny reports whether a stored value holds one of words as a whole text (a JSON
// string in it, or the value itself).
func holdsAny(v string, words map[string]bool) (string, bool) {
	for _, s := range stringsIn(v, nil) {
		if words[s] {
			return s, true
		}
	}
	return "", false
}

func grepLines(s string, re *regexp.Regexp) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if re.MatchString(l) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func diffKeys(a, b map[string]map[string]string) []string {
	var out []string
	for k := range a {
		if !reflect.DeepEqual(a[k], b[k]) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

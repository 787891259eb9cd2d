package fakediscord

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, s *Server, method, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, "https://discord.com/api/v9"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bot "+s.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp, m
}

func TestClientNeverLeavesTheMachine(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	if _, err := s.Client().Get("https://example.com/"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("request to another host: %v", err)
	}
	resp, m := do(t, s, "GET", "/users/@me", "")
	if resp.StatusCode != 200 || m["id"] != s.AppID() || m["bot"] != true {
		t.Errorf("users/@me = %d %v", resp.StatusCode, m)
	}
}

// Without allowed_mentions Discord parses every mention; with parse [] none.
func TestMentionEmulation(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	_, open := do(t, s, "POST", "/users/@me/channels", `{"recipient_id":"42"}`)
	ch := open["id"].(string)
	_, m1 := do(t, s, "POST", "/channels/"+ch+"/messages", `{"content":"@everyone <@7> <@&8>"}`)
	if p := s.Pinged(m1["id"].(string)); !p.Everyone || len(p.Users) != 1 || len(p.Roles) != 1 {
		t.Errorf("default parsing pinged %+v", p)
	}
	_, m2 := do(t, s, "POST", "/channels/"+ch+"/messages", `{"content":"@everyone <@7> <@&8>","allowed_mentions":{"parse":[],"users":["7"]}}`)
	if p := s.Pinged(m2["id"].(string)); p.Everyone || len(p.Users) != 1 || p.Users[0] != "7" || len(p.Roles) != 0 {
		t.Errorf("restricted parsing pinged %+v", p)
	}
}

func TestRefusedDMAndRateLimitAnswers(t *testing.T) {
	s := New(Options{GlobalLimit: 2})
	defer s.Close()
	s.RefuseDMs("42")
	_, open := do(t, s, "POST", "/users/@me/channels", `{"recipient_id":"42"}`)
	resp, m := do(t, s, "POST", "/channels/"+open["id"].(string)+"/messages", `{"content":"hoi"}`)
	if resp.StatusCode != 403 || m["code"].(float64) != 50007 {
		t.Errorf("refused DM = %d %v", resp.StatusCode, m)
	}
	resp, m = do(t, s, "GET", "/users/@me", "")
	if resp.StatusCode != 429 || resp.Header.Get("X-RateLimit-Global") != "true" || m["global"] != true || m["retry_after"].(float64) <= 0 {
		t.Errorf("third request in a second = %d %v %v", resp.StatusCode, resp.Header, m)
	}
	if len(s.Violations()) != 1 {
		t.Errorf("violations = %v", s.Violations())
	}
}

func TestCommandValidation(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	path := "/applications/" + s.AppID() + "/guilds/" + s.Guild() + "/commands"
	bad := `[{"name":"x","description":"d","options":[{"type":3,"name":"a","description":"a"},{"type":3,"name":"b","description":"b","required":true}]}]`
	if resp, _ := do(t, s, "PUT", path, bad); resp.StatusCode != 400 {
		t.Errorf("required after optional accepted: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "PUT", path, `[{"name":"Checkin","description":"d"}]`); resp.StatusCode != 400 {
		t.Errorf("upper-case name accepted: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "PUT", path, `[{"name":"checkin","description":"d","name_localizations":{"nl":"incheck"}}]`); resp.StatusCode != 200 {
		t.Errorf("valid command refused: %d", resp.StatusCode)
	}
}

func TestInjectedFaultsFireAsConfigured(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.Inject(Fault{Method: "GET", Path: "/users/@me", Status: 502, Every: 2, Times: 1})
	var got []int
	for range 4 {
		resp, _ := do(t, s, "GET", "/users/@me", "")
		got = append(got, resp.StatusCode)
	}
	if got[0] != 200 || got[1] != 502 || got[2] != 200 || got[3] != 200 {
		t.Errorf("statuses = %v, want the 2nd request only to fail", got)
	}
	s.Inject(Fault{Path: "/users/@me", Status: 429, RetryAfter: 1500 * time.Millisecond, Times: 1})
	resp, m := do(t, s, "GET", "/users/@me", "")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || m["retry_after"].(float64) != 1.5 || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429 = %v %v", resp.Header, m)
	}
	do(t, s, "GET", "/users/@me", "")
	if v := s.Violations(); len(v) != 1 || !strings.Contains(v[0].Reason, "Retry-After") {
		t.Errorf("an early retry was not noticed: %v", v)
	}
}

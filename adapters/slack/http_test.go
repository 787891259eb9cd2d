package slack

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
)

// httpRig is an adapter in HTTP mode behind a local server, on a fake clock.
type httpRig struct {
	*rig
	srv *httptest.Server
	clk *clock.Fake
}

func newHTTPRig(t *testing.T) *httpRig {
	clk := clock.NewFake(time.Date(2026, 11, 23, 8, 15, 0, 0, time.UTC))
	r := newRig(t, ModeHTTP, func(o *Options, fo *fakeslack.Options) { o.Clock = clk })
	srv := httptest.NewServer(r.a.EventsHandler())
	t.Cleanup(srv.Close)
	return &httpRig{rig: r, srv: srv, clk: clk}
}

// post sends body to the adapter, signed at signedAt with secret (no signature when
// secret is ""), and returns the status and answer.
func (h *httpRig) post(body []byte, contentType, secret string, signedAt time.Time, extra http.Header) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+DefaultPath, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if secret != "" {
		for k, v := range fakeslack.Sign(secret, signedAt, body) {
			req.Header[k] = v
		}
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const jsonType = "application/json"
const formType = "application/x-www-form-urlencoded"

func TestSignedRequestsOnly(t *testing.T) {
	h := newHTTPRig(t)
	now := h.clk.Now()
	challenge := []byte(`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	event := []byte(`{"type":"event_callback","team_id":"T0KRING","event_id":"Ev0SIGNED","event":{"type":"message","channel":"D0ANNA","user":"U0ANNA","text":"hoi","ts":"1700000000.000100","channel_type":"im"}}`)

	if code, body := h.post(challenge, jsonType, testSecret, now, nil); code != 200 || body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("url_verification: %d %q, want the challenge back", code, body)
	}
	if code, _ := h.post(event, jsonType, testSecret, now.Add(-4*time.Minute-59*time.Second), nil); code != 200 {
		t.Fatalf("a request signed 4m59s ago got %d, want 200", code)
	}
	if ev := h.h.next(t); ev.ID != "ev:Ev0SIGNED" || ev.Text != "hoi" || !ev.DM {
		t.Fatalf("signed event = %+v", ev)
	}

	tampered := bytes.Replace(event, []byte("hoi"), []byte("hoi <!channel>"), 1)
	rejects := []struct {
		name   string
		body   []byte
		secret string
		at     time.Time
		sign   []byte // body the signature was made for, when it differs
		header http.Header
	}{
		{name: "forged (another secret)", body: event, secret: "not-the-secret", at: now},
		{name: "stale (5m01s old)", body: event, secret: testSecret, at: now.Add(-5*time.Minute - time.Second)},
		{name: "from the future (5m01s ahead)", body: event, secret: testSecret, at: now.Add(5*time.Minute + time.Second)},
		{name: "unsigned", body: event},
		{name: "body changed after signing", body: tampered, secret: testSecret, at: now, sign: event},
		{name: "wrong version", body: event, header: http.Header{"X-Slack-Signature": {"v1=abcd"}, "X-Slack-Request-Timestamp": {"1"}}},
	}
	for _, c := range rejects {
		var code int
		if c.sign != nil {
			hdr := fakeslack.Sign(c.secret, c.at, c.sign)
			code, _ = h.post(c.body, jsonType, "", time.Time{}, hdr)
		} else {
			code, _ = h.post(c.body, jsonType, c.secret, c.at, c.header)
		}
		if code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", c.name, code)
		}
	}
	h.settle()
	if n := h.h.count(); n != 1 {
		t.Fatalf("%d events reached the Engine, want only the signed one", n)
	}
}

// load reads a testdata payload, pointing its response_url at the fake.
func (h *httpRig) load(name, responseURL string) []byte {
	h.t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		h.t.Fatal(err)
	}
	return bytes.ReplaceAll(bytes.TrimSpace(b), []byte("{{RESPONSE_URL}}"), []byte(responseURL))
}

// The payloads in testdata follow the shapes in Slack's documentation for slash
// commands, block_actions, view_submission and the Events API message.im event.
func TestDocumentedPayloadsParsed(t *testing.T) {
	h := newHTTPRig(t)
	now := h.clk.Now()

	hook := h.fake.NewResponseURL("C02B", "U0ANNA")
	slash := h.load("slash_command.txt", url.QueryEscape(hook))
	if code, body := h.post(slash, formType, testSecret, now, nil); code != 200 || body != "" {
		t.Fatalf("slash command: %d %q, want an empty 200", code, body)
	}
	ev := h.h.next(t)
	if ev.Kind != chat.KindCommand || ev.Command != "away" || ev.ArgText != "naar de tandarts" || ev.User != "U0ANNA" ||
		ev.Channel != "C02B" || ev.DM || ev.ID != "cmd:13345224609.738474920.8088930838d88f008e0" {
		t.Fatalf("slash command event = %+v", ev)
	}

	dm := h.fake.DM("U0EMMA")
	hook = h.fake.NewResponseURL(dm, "U0EMMA")
	actions := url.Values{"payload": {string(h.load("block_actions.json", hook))}}.Encode()
	if code, _ := h.post([]byte(actions), formType, testSecret, now, nil); code != 200 {
		t.Fatalf("block_actions: %d", code)
	}
	ev = h.h.next(t)
	if ev.Kind != chat.KindButton || ev.Action != "checkin.mood" || ev.Value != "5" || ev.User != "U0EMMA" || !ev.DM ||
		ev.ID != "act:12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3" || !ev.Time.Equal(time.Unix(1548426417, 840180000)) {
		t.Fatalf("block_actions event = %+v", ev)
	}
	h.settle()
	calls := h.fake.Calls("response_url")
	if len(calls) != 1 || !strings.Contains(string(calls[0].Body), `"replace_original":true`) ||
		strings.Contains(string(calls[0].Body), `"actions"`) || !strings.Contains(string(calls[0].Body), "✓ 😄 Great") {
		t.Fatalf("the pressed message was not replaced without its buttons: %+v", calls)
	}

	sub := url.Values{"payload": {string(h.load("view_submission.json", ""))}}.Encode()
	if code, body := h.post([]byte(sub), formType, testSecret, now, nil); code != 200 || body != "" {
		t.Fatalf("view_submission: %d %q, want an empty 200 (the modal closes)", code, body)
	}
	ev = h.h.next(t)
	if ev.Kind != chat.KindForm || ev.Action != "checkin.goal" || ev.Fields["goal"] != "Finish chapter 3" || ev.Channel != "D0EMMA" ||
		ev.ID != "form:12345.98765.abcd2358fdea" {
		t.Fatalf("view_submission event = %+v", ev)
	}

	im := h.load("message_im.json", "")
	if code, _ := h.post(im, jsonType, testSecret, now, nil); code != 200 {
		t.Fatalf("message.im: %d", code)
	}
	ev = h.h.next(t)
	want := "Ik wil <b>hoofdstuk 3</b> af & @Mees de Boer moet het weten @here kijk (https://example.org)"
	if ev.Kind != chat.KindMessage || ev.Text != want || ev.ID != "ev:Ev08MFMKH6" || !ev.DM || ev.Channel != "D0ANNA" {
		t.Fatalf("message.im event = %+v\nwant text %q", ev, want)
	}

	// Slack's retry of the same event: same id, so the Engine gives it one effect.
	if code, _ := h.post(im, jsonType, testSecret, now, http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_timeout"}}); code != 200 {
		t.Fatalf("retry: %d", code)
	}
	if again := h.h.next(t); again.ID != ev.ID {
		t.Fatalf("retried event id %q, want %q", again.ID, ev.ID)
	}
}

// The answer to Slack goes out before the Engine has done anything: a slow step can
// never make Slack wait past its 3 seconds.
func TestHTTPAcknowledgesBeforeTheWork(t *testing.T) {
	h := newHTTPRig(t)
	release := make(chan struct{})
	h.h.replies = func(chat.Event) []chat.Message { <-release; return nil }
	defer close(release)
	body := []byte(`{"type":"event_callback","team_id":"T0KRING","event_id":"Ev0SLOW","event":{"type":"message","channel":"D0ANNA","user":"U0ANNA","text":"x","ts":"1700000000.000100","channel_type":"im"}}`)
	done := make(chan int, 1)
	go func() { code, _ := h.post(body, jsonType, testSecret, h.clk.Now(), nil); done <- code }()
	h.h.next(t) // the Engine is now busy with the event, and stays busy until release
	select {
	case code := <-done:
		if code != 200 {
			t.Fatalf("status %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the HTTP answer waited for the Engine")
	}
}

package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxSkew is how far a request's timestamp may be from our clock (Slack: 5 minutes).
const maxSkew = 5 * time.Minute

// Reasons a request is refused; none of them tells a caller more than "401".
var (
	errUnsigned  = errors.New("missing X-Slack-Signature or X-Slack-Request-Timestamp")
	errStale     = errors.New("timestamp more than 5 minutes from now")
	errSignature = errors.New("signature does not match")
)

// verify checks Slack's v0 request signature: HMAC-SHA256 with the signing secret
// over "v0:" + timestamp + ":" + body, compared in constant time, and a timestamp
// within 5 minutes of our clock so a captured request cannot be replayed later.
func (a *Adapter) verify(h http.Header, body []byte) error {
	ts, sig := h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature")
	if ts == "" || sig == "" {
		return errUnsigned
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errStale
	}
	if d := a.clk.Now().Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return errStale
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return errSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return errSignature
	}
	mac := hmac.New(sha256.New, []byte(a.opt.SigningSecret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return errSignature
	}
	return nil
}

// EventsHandler serves Slack's HTTP deliveries at one URL: Events API callbacks
// (JSON), slash commands and interactivity (forms). Point the app's Event
// Subscriptions, Slash Command and Interactivity request URLs at it. Every request
// must carry a valid signature or gets 401; valid ones are acknowledged at once and
// processed afterwards. A submitted modal waits up to FormWait for its answer.
func (a *Adapter) EventsHandler() http.Handler {
	return http.HandlerFunc(a.serveHTTP)
}

func (a *Adapter) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if a.opt.SigningSecret == "" {
		http.Error(w, "no signing secret configured", http.StatusUnauthorized)
		return
	}
	if err := a.verify(r.Header, body); err != nil {
		a.log.Warn("rejected a request that is not from Slack", "reason", err.Error(), "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	if a.currentHandler() == nil {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		a.httpEvent(w, r, body)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	switch {
	case form.Get("payload") != "":
		a.httpInteractive(w, form.Get("payload"))
	case form.Get("command") != "":
		c := slashFromForm(form)
		a.goWork(func(ctx context.Context) { a.onSlash(ctx, c) })
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, "unknown request", http.StatusBadRequest)
	}
}

func (a *Adapter) httpEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	if outer.Type == slackevents.URLVerification {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, outer.Challenge)
		return
	}
	e, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	// Answer 200 even for events we cannot parse (types we did not subscribe to):
	// anything else makes Slack retry them, and eventually disable the app.
	if err != nil {
		w.WriteHeader(http.StatusOK)
		a.log.Debug("unparsed event acknowledged", "err", err)
		return
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		a.log.Info("slack redelivered an event", "attempt", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	a.goWork(func(ctx context.Context) { a.onEventsAPI(ctx, e) })
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) httpInteractive(w http.ResponseWriter, payload string) {
	var cb slackgo.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	switch cb.Type {
	case slackgo.InteractionTypeViewSubmission:
		resp := a.onSubmit(a.baseCtx(), cb)
		if resp == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	case slackgo.InteractionTypeBlockActions:
		a.goWork(func(ctx context.Context) { a.onBlockActions(ctx, cb) })
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func slashFromForm(f url.Values) slackgo.SlashCommand {
	return slackgo.SlashCommand{
		TeamID: f.Get("team_id"), TeamDomain: f.Get("team_domain"), EnterpriseID: f.Get("enterprise_id"),
		ChannelID: f.Get("channel_id"), ChannelName: f.Get("channel_name"), UserID: f.Get("user_id"),
		UserName: f.Get("user_name"), Command: f.Get("command"), Text: f.Get("text"),
		ResponseURL: f.Get("response_url"), TriggerID: f.Get("trigger_id"), APIAppID: f.Get("api_app_id"),
	}
}

// runHTTP serves EventsHandler on Options.Listen (or, without one, leaves serving
// to whoever mounted EventsHandler) until ctx ends.
func (a *Adapter) runHTTP(ctx context.Context) error {
	if a.opt.Listen == "" {
		<-ctx.Done()
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle(a.opt.Path, a.EventsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", a.opt.Listen)
	if err != nil {
		return fmt.Errorf("slack: listen on %s: %w", a.opt.Listen, err)
	}
	a.log.Info("slack events API listening", "addr", ln.Addr().String(), "path", a.opt.Path)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// In HTTP mode Slack calls in; listening is being connected.
	a.connected.Store(true)
	defer a.connected.Store(false)
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	case err := <-errc:
		return fmt.Errorf("slack: serve: %w", err)
	}
}

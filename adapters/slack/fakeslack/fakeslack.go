// Package fakeslack is a local stand-in for Slack's Web API, Socket Mode and
// response_url endpoints, good enough to drive the real slack-go client in tests
// and benchmarks without touching the internet.
//
// It speaks the wire shapes slack-go sends and expects: form-encoded methods
// (chat.postMessage, chat.update, chat.postEphemeral, conversations.open,
// files.getUploadURLExternal, files.completeUploadExternal, auth.test), JSON
// methods (views.open, views.publish, views.update, apps.connections.open), the
// file upload URL of the files v2 flow, response_url webhooks, and a Socket Mode
// websocket that says hello, sends envelopes and records their acks.
//
// Everything received is recorded. Rate limits are configurable per channel and
// per method and answer 429 with Retry-After, measured on the clock the server is
// given, so tests on a fake clock see exact, repeatable pacing.
package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kring-school/kring/bot/clock"
)

// Limit is a token bucket: PerMinute requests a minute on average, Burst at once.
type Limit struct {
	PerMinute float64
	Burst     int
}

// Options configures a Server. The zero value accepts any token and limits nothing.
type Options struct {
	// Team is the workspace id auth.test reports (default "T0KRING").
	Team string
	// BotUser and BotID are the bot's user and bot ids (defaults "U0KRINGBOT", "B0KRING").
	BotUser string
	BotID   string
	// BotToken and AppToken, when set, are the only tokens accepted.
	BotToken string
	AppToken string
	// Clock timestamps requests and runs the rate limits (default the wall clock).
	Clock clock.Clock
	// ChannelRate limits chat.postMessage per channel, in messages a second (0: no limit),
	// with ChannelBurst messages at once (default 1).
	ChannelRate  float64
	ChannelBurst int
	// Methods limits whole methods, workspace-wide, like Slack's tiers.
	Methods map[string]Limit
	// RetryAfter is the Retry-After a tripped limit answers with (default 1s).
	RetryAfter time.Duration
	// TriggerTTL is how long a trigger_id issued by the server opens a view (default 3s).
	TriggerTTL time.Duration
	// Channels are the channel ids that exist besides DMs; empty means every C… and G… id.
	Channels []string
	// Unreachable users cannot be messaged: conversations.open answers with this error
	// (e.g. "user_disabled").
	Unreachable map[string]string
	// Emails are the workspace's members by e-mail address, for users.lookupByEmail
	// (which needs the users:read.email scope on the real Slack). Deactivated lists
	// members whose account is deactivated (Slack still finds them, with deleted: true).
	Emails      map[string]string
	Deactivated map[string]bool
}

// Call is one recorded request.
type Call struct {
	// Method is the API method ("chat.postMessage"), or "response_url" and "upload".
	Method string
	Time   time.Time
	// Status is the HTTP status answered; Error the Slack error code, if any.
	Status int
	Error  string
	// Form holds form-encoded parameters; Body the raw JSON body of JSON methods.
	Form   url.Values
	Body   json.RawMessage
	Header http.Header
}

// Message is a message as the fake workspace holds it.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	// User is the only person who sees an ephemeral message.
	User      string
	Ephemeral bool
	// Updates counts chat.update / replace_original calls applied to it.
	Updates int
	// ResponseURL is the response_url a button press on this message carries.
	ResponseURL string
	// Via is how it arrived: "chat.postMessage", "chat.postEphemeral", "response_url".
	Via string
}

// View is a modal or home tab as received.
type View struct {
	ID              string
	Type            string
	Trigger         string
	User            string
	CallbackID      string
	PrivateMetadata string
	Blocks          json.RawMessage
	Raw             json.RawMessage
}

// File is an uploaded file, shared by files.completeUploadExternal.
type File struct {
	ID       string
	Name     string
	Title    string
	AltText  string
	Channel  string
	ThreadTS string
	Data     []byte
	Shared   bool
}

type responseHook struct {
	channel string
	ts      string
	user    string
	uses    int
}

type bucket struct {
	tokens float64
	last   time.Time
	rate   float64 // per second
	burst  float64
}

// take reports whether a token was available at now, with a microsecond of grace
// so a client pacing itself on the same clock is never refused by rounding.
func (b *bucket) take(now time.Time) bool {
	if b.last.IsZero() {
		b.tokens = b.burst
		b.last = now
	}
	if now.After(b.last) {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1-1e-6 {
		b.tokens--
		return true
	}
	return false
}

type injected struct {
	skip   int // calls to let through first
	n      int
	status int
	after  time.Duration
	code   string // the error code answered with HTTP 200 (FailWith)
}

// Server is a running fake Slack.
type Server struct {
	// URL is the server's base URL; APIURL the Web API base to pass to slack.OptionAPIURL.
	URL    string
	APIURL string

	opt Options
	srv *httptest.Server
	up  websocket.Upgrader

	mu        sync.Mutex
	seq       int
	calls     []Call
	messages  []*Message
	dms       map[string]string
	triggers  map[string]time.Time
	hooks     map[string]*responseHook
	views     map[string]*View
	opened    []*View
	homes     map[string]*View
	published []*View
	files     map[string]*File
	chanLimit map[string]*bucket
	methLimit map[string]*bucket
	inject    map[string][]*injected
	throttled map[string]int

	// changed is closed and replaced whenever something is recorded (see WaitFor).
	changed chan struct{}

	ws        *websocket.Conn
	wsMu      sync.Mutex // serialises writes to ws
	connected chan struct{}
	conns     int
	acks      map[string]json.RawMessage
	ackWait   map[string]chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

// New starts a fake Slack on a local port.
func New(opt Options) *Server {
	if opt.Team == "" {
		opt.Team = "T0KRING"
	}
	if opt.BotUser == "" {
		opt.BotUser = "U0KRINGBOT"
	}
	if opt.BotID == "" {
		opt.BotID = "B0KRING"
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.ChannelBurst <= 0 {
		opt.ChannelBurst = 1
	}
	if opt.RetryAfter <= 0 {
		opt.RetryAfter = time.Second
	}
	if opt.TriggerTTL <= 0 {
		opt.TriggerTTL = 3 * time.Second
	}
	s := &Server{
		opt:       opt,
		dms:       map[string]string{},
		triggers:  map[string]time.Time{},
		hooks:     map[string]*responseHook{},
		views:     map[string]*View{},
		homes:     map[string]*View{},
		files:     map[string]*File{},
		chanLimit: map[string]*bucket{},
		methLimit: map[string]*bucket{},
		inject:    map[string][]*injected{},
		throttled: map[string]int{},
		connected: make(chan struct{}),
		acks:      map[string]json.RawMessage{},
		ackWait:   map[string]chan struct{}{},
		closed:    make(chan struct{}),
		changed:   make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.api)
	mux.HandleFunc("/response/", s.response)
	mux.HandleFunc("/upload/", s.upload)
	mux.HandleFunc("/socket", s.socket)
	// slack-go dials with Origin https://api.slack.com, as Slack expects.
	s.up.CheckOrigin = func(*http.Request) bool { return true }
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	s.APIURL = s.srv.URL + "/api/"
	return s
}

// Close stops the server and drops the socket connection.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.wsMu.Lock()
	if s.ws != nil {
		_ = s.ws.Close()
	}
	s.wsMu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Team returns the workspace id.
func (s *Server) Team() string { return s.opt.Team }

// BotUser returns the bot's user id.
func (s *Server) BotUser() string { return s.opt.BotUser }

func (s *Server) nextLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%06d", prefix, s.seq)
}

func (s *Server) tsLocked() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", s.opt.Clock.Now().Unix(), s.seq)
}

// ---- recording accessors ----

// Calls returns the recorded calls of method, or of every method when method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Throttled returns how many 429s method got, by cause: "injected", "channel", "method".
func (s *Server) Throttled(method, cause string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled[method+"/"+cause]
}

// Messages returns copies of the messages in channel ("" for all), in posting order.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if channel == "" || m.Channel == channel {
			out = append(out, *m)
		}
	}
	return out
}

// Message returns the message with ts in channel.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts {
			return *m, true
		}
	}
	return Message{}, false
}

// DM returns the direct-message channel id of user (as conversations.open would).
func (s *Server) DM(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmLocked(user)
}

func (s *Server) dmLocked(user string) string {
	if id, ok := s.dms[user]; ok {
		return id
	}
	id := "D" + strings.TrimPrefix(strings.TrimPrefix(user, "U"), "W")
	s.dms[user] = id
	return id
}

// OpenedViews returns the modals opened with views.open (updated by views.update).
func (s *Server) OpenedViews() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, len(s.opened))
	for i, v := range s.opened {
		out[i] = *v
	}
	return out
}

// Home returns the last home tab published for user.
func (s *Server) Home(user string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.homes[user]
	if !ok {
		return View{}, false
	}
	return *v, true
}

// Published returns every views.publish received, in order.
func (s *Server) Published() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, len(s.published))
	for i, v := range s.published {
		out[i] = *v
	}
	return out
}

// Files returns the files shared so far.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.files {
		if f.Shared {
			out = append(out, *f)
		}
	}
	return out
}

// ---- fault injection ----

// Throttle makes the next n calls of method answer 429 with Retry-After after.
func (s *Server) Throttle(method string, n int, after time.Duration) {
	s.ThrottleFrom(method, 0, n, after)
}

// ThrottleFrom lets skip calls of method through, then answers the n after them with
// 429 and Retry-After after: a rate-limit storm in the middle of a fan-out.
func (s *Server) ThrottleFrom(method string, skip, n int, after time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject[method] = append(s.inject[method], &injected{skip: skip, n: n, status: http.StatusTooManyRequests, after: after})
}

// notifyLocked wakes WaitFor callers.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitFor blocks until cond holds, re-checking it whenever the server records
// something (a call, an ack, a connection). cond may call the Server's accessors.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fakeslack: condition not met: %w", ctx.Err())
		}
	}
}

// Connections counts Socket Mode connections so far (reconnects included).
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Disconnect asks the client to reconnect, as Slack does before it rotates a connection.
func (s *Server) Disconnect(ctx context.Context) error {
	return s.SendRaw(ctx, map[string]any{"type": "disconnect", "reason": "refresh_requested",
		"debug_info": map[string]any{"host": "fakeslack"}})
}

// Fail makes the next n calls of method answer with HTTP status (e.g. 500).
func (s *Server) Fail(method string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject[method] = append(s.inject[method], &injected{n: n, status: status})
}

// FailWith makes the next n calls of method answer {"ok":false,"error":code} with
// HTTP 200, as Slack does for invalid_auth, token_revoked, not_in_channel ...
func (s *Server) FailWith(method string, n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject[method] = append(s.inject[method], &injected{n: n, status: http.StatusOK, code: code})
}

// NewTrigger issues a trigger_id that opens a view within the trigger TTL.
func (s *Server) NewTrigger() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTriggerLocked()
}

func (s *Server) newTriggerLocked() string {
	id := fmt.Sprintf("%d.%d.%s", 1000000+s.seq, 2000000+s.seq, s.nextLocked("trig"))
	s.triggers[id] = s.opt.Clock.Now().Add(s.opt.TriggerTTL)
	return id
}

// NewResponseURL issues a response_url; replies through it land in channel, seen by user.
func (s *Server) NewResponseURL(channel, user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newHookLocked(channel, "", user)
}

func (s *Server) newHookLocked(channel, ts, user string) string {
	id := s.nextLocked("hook")
	s.hooks[id] = &responseHook{channel: channel, ts: ts, user: user}
	return s.URL + "/response/" + id
}

// Responses returns the messages that arrived through response URLs.
func (s *Server) Responses() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Via == "response_url" {
			out = append(out, *m)
		}
	}
	return out
}

// ---- Web API ----

type apiError struct {
	status int
	code   string
	after  time.Duration
	// detail says what Slack would list in response_metadata.messages.
	detail string
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	call := Call{Method: method, Time: s.opt.Clock.Now(), Header: r.Header.Clone()}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		call.Body = json.RawMessage(body)
	} else {
		call.Form, _ = url.ParseQuery(string(body))
		if t := call.Form.Get("token"); t != "" {
			token = t
		}
		call.Form.Del("token")
	}
	call.Header.Del("Authorization")

	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	resp, aerr := s.dispatchLocked(method, token, call)
	if aerr != nil {
		call.Status = aerr.status
		call.Error = aerr.code
		s.calls = append(s.calls, call)
		if aerr.after > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(aerr.after.Seconds()))))
		}
		if aerr.status != http.StatusOK {
			w.WriteHeader(aerr.status)
			return
		}
		body := map[string]any{"ok": false, "error": aerr.code}
		if aerr.detail != "" {
			body["response_metadata"] = map[string]any{"messages": []string{"[ERROR] " + aerr.detail}}
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	call.Status = http.StatusOK
	s.calls = append(s.calls, call)
	resp["ok"] = true
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) limitLocked(method, channel string, now time.Time) *apiError {
	if q := s.inject[method]; len(q) > 0 && q[0].skip > 0 {
		q[0].skip--
	} else if len(q) > 0 {
		in := q[0]
		in.n--
		if in.n <= 0 {
			s.inject[method] = q[1:]
		}
		if in.status == http.StatusTooManyRequests {
			s.throttled[method+"/injected"]++
			return &apiError{status: in.status, code: "ratelimited", after: in.after}
		}
		if in.code != "" {
			return &apiError{status: http.StatusOK, code: in.code}
		}
		return &apiError{status: in.status, code: "fatal_error"}
	}
	if l, ok := s.opt.Methods[method]; ok {
		b := s.methLimit[method]
		if b == nil {
			b = &bucket{rate: l.PerMinute / 60, burst: float64(max(l.Burst, 1))}
			s.methLimit[method] = b
		}
		if !b.take(now) {
			s.throttled[method+"/method"]++
			return &apiError{status: http.StatusTooManyRequests, code: "ratelimited", after: s.opt.RetryAfter}
		}
	}
	if channel != "" && s.opt.ChannelRate > 0 {
		b := s.chanLimit[channel]
		if b == nil {
			b = &bucket{rate: s.opt.ChannelRate, burst: float64(s.opt.ChannelBurst)}
			s.chanLimit[channel] = b
		}
		if !b.take(now) {
			s.throttled[method+"/channel"]++
			return &apiError{status: http.StatusTooManyRequests, code: "ratelimited", after: s.opt.RetryAfter}
		}
	}
	return nil
}

func (s *Server) dispatchLocked(method, token string, c Call) (map[string]any, *apiError) {
	bad := func(code string) *apiError { return &apiError{status: http.StatusOK, code: code} }
	if method == "apps.connections.open" {
		if s.opt.AppToken != "" && token != s.opt.AppToken {
			return nil, bad("invalid_auth")
		}
	} else if s.opt.BotToken != "" && token != s.opt.BotToken {
		return nil, bad("invalid_auth")
	}
	now := c.Time
	channel := ""
	if method == "chat.postMessage" {
		channel = c.Form.Get("channel")
	}
	if err := s.limitLocked(method, channel, now); err != nil {
		return nil, err
	}
	switch method {
	case "auth.test":
		return map[string]any{"url": "https://kring-test.slack.com/", "team": "Kring Test", "user": "kring",
			"team_id": s.opt.Team, "user_id": s.opt.BotUser, "bot_id": s.opt.BotID}, nil
	case "apps.connections.open":
		return map[string]any{"url": "ws" + strings.TrimPrefix(s.URL, "http") + "/socket"}, nil
	case "users.lookupByEmail":
		// Slack matches the address without regard to case and answers users_not_found
		// for an address no member of the workspace has.
		email := strings.ToLower(c.Form.Get("email"))
		if email == "" {
			return nil, bad("invalid_arguments")
		}
		for addr, id := range s.opt.Emails {
			if strings.ToLower(addr) == email {
				return map[string]any{"user": map[string]any{"id": id, "team_id": s.opt.Team, "name": strings.ToLower(id),
					"deleted": s.opt.Deactivated[id], "is_bot": false, "profile": map[string]any{"email": addr}}}, nil
			}
		}
		return nil, bad("users_not_found")
	case "conversations.open":
		user := c.Form.Get("users")
		if user == "" || strings.Contains(user, ",") {
			return nil, bad("not_enough_users")
		}
		if code, ok := s.opt.Unreachable[user]; ok {
			return nil, bad(code)
		}
		return map[string]any{"channel": map[string]any{"id": s.dmLocked(user)}}, nil
	case "chat.postMessage":
		if !s.knownChannelLocked(channel) {
			return nil, bad("channel_not_found")
		}
		if p := validateBlocks(c.Form.Get("blocks")); p != "" {
			return nil, &apiError{status: http.StatusOK, code: "invalid_blocks", detail: p}
		}
		m := &Message{Channel: channel, TS: s.tsLocked(), ThreadTS: c.Form.Get("thread_ts"), Text: c.Form.Get("text"),
			Blocks: json.RawMessage(c.Form.Get("blocks")), Via: method}
		m.ResponseURL = s.newHookLocked(m.Channel, m.TS, "")
		s.messages = append(s.messages, m)
		return map[string]any{"channel": m.Channel, "ts": m.TS, "message": map[string]any{"text": m.Text, "ts": m.TS}}, nil
	case "chat.postEphemeral":
		ch := c.Form.Get("channel")
		if !s.knownChannelLocked(ch) {
			return nil, bad("channel_not_found")
		}
		if p := validateBlocks(c.Form.Get("blocks")); p != "" {
			return nil, &apiError{status: http.StatusOK, code: "invalid_blocks", detail: p}
		}
		m := &Message{Channel: ch, TS: s.tsLocked(), Text: c.Form.Get("text"), Blocks: json.RawMessage(c.Form.Get("blocks")),
			User: c.Form.Get("user"), Ephemeral: true, Via: method}
		m.ResponseURL = s.newHookLocked(m.Channel, m.TS, m.User)
		s.messages = append(s.messages, m)
		return map[string]any{"message_ts": m.TS}, nil
	case "chat.update":
		if p := validateBlocks(c.Form.Get("blocks")); p != "" {
			return nil, &apiError{status: http.StatusOK, code: "invalid_blocks", detail: p}
		}
		ch, ts := c.Form.Get("channel"), c.Form.Get("ts")
		for _, m := range s.messages {
			if m.Channel == ch && m.TS == ts && !m.Ephemeral {
				m.Text = c.Form.Get("text")
				if b := c.Form.Get("blocks"); b != "" {
					m.Blocks = json.RawMessage(b)
				}
				m.Updates++
				return map[string]any{"channel": ch, "ts": ts, "text": m.Text}, nil
			}
		}
		return nil, bad("message_not_found")
	case "views.open", "views.update", "views.publish":
		return s.viewLocked(method, c)
	case "files.getUploadURLExternal":
		n, _ := strconv.Atoi(c.Form.Get("length"))
		if c.Form.Get("filename") == "" || n <= 0 {
			return nil, bad("invalid_arguments")
		}
		id := s.nextLocked("F")
		s.files[id] = &File{ID: id, Name: c.Form.Get("filename"), AltText: c.Form.Get("alt_txt")}
		return map[string]any{"upload_url": s.URL + "/upload/" + id, "file_id": id}, nil
	case "files.completeUploadExternal":
		var fs []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(c.Form.Get("files")), &fs); err != nil || len(fs) == 0 {
			return nil, bad("invalid_arguments")
		}
		var out []map[string]any
		for _, f := range fs {
			rec, ok := s.files[f.ID]
			if !ok || rec.Data == nil {
				return nil, bad("file_not_found")
			}
			rec.Title, rec.Channel, rec.ThreadTS, rec.Shared = f.Title, c.Form.Get("channel_id"), c.Form.Get("thread_ts"), true
			out = append(out, map[string]any{"id": f.ID, "title": f.Title})
		}
		return map[string]any{"files": out}, nil
	}
	return nil, bad("unknown_method")
}

func (s *Server) knownChannelLocked(ch string) bool {
	if ch == "" {
		return false
	}
	if strings.HasPrefix(ch, "D") {
		for _, id := range s.dms {
			if id == ch {
				return true
			}
		}
		return false
	}
	if len(s.opt.Channels) > 0 {
		for _, c := range s.opt.Channels {
			if c == ch {
				return true
			}
		}
		return false
	}
	return strings.HasPrefix(ch, "C") || strings.HasPrefix(ch, "G")
}

func (s *Server) viewLocked(method string, c Call) (map[string]any, *apiError) {
	bad := func(code string) *apiError { return &apiError{status: http.StatusOK, code: code} }
	var req struct {
		TriggerID string          `json:"trigger_id"`
		UserID    string          `json:"user_id"`
		ViewID    string          `json:"view_id"`
		View      json.RawMessage `json:"view"`
	}
	if err := json.Unmarshal(c.Body, &req); err != nil {
		return nil, bad("invalid_json")
	}
	var v struct {
		Type            string          `json:"type"`
		CallbackID      string          `json:"callback_id"`
		PrivateMetadata string          `json:"private_metadata"`
		Blocks          json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(req.View, &v); err != nil {
		return nil, bad("invalid_arguments")
	}
	view := &View{Type: v.Type, CallbackID: v.CallbackID, PrivateMetadata: v.PrivateMetadata, Blocks: v.Blocks, Raw: req.View}
	switch method {
	case "views.open":
		exp, ok := s.triggers[req.TriggerID]
		if !ok {
			return nil, bad("invalid_trigger_id")
		}
		delete(s.triggers, req.TriggerID)
		if c.Time.After(exp) {
			return nil, bad("expired_trigger_id")
		}
		if v.Type != "modal" {
			return nil, bad("invalid_arguments")
		}
		view.ID = s.nextLocked("V")
		view.Trigger = req.TriggerID
		s.views[view.ID] = view
		s.opened = append(s.opened, view)
	case "views.update":
		old, ok := s.views[req.ViewID]
		if !ok {
			return nil, bad("not_found")
		}
		view.ID, view.Trigger, view.User = old.ID, old.Trigger, old.User
		*old = *view
	case "views.publish":
		if req.UserID == "" {
			return nil, bad("invalid_arguments")
		}
		if v.Type != "home" {
			return nil, bad("invalid_arguments")
		}
		view.ID = s.nextLocked("V")
		view.User = req.UserID
		s.homes[req.UserID] = view
		s.published = append(s.published, view)
	}
	return map[string]any{"view": map[string]any{"id": view.ID, "type": view.Type, "callback_id": view.CallbackID,
		"private_metadata": view.PrivateMetadata, "hash": "h" + view.ID}}, nil
}

// ---- response_url and upload ----

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	call := Call{Method: "response_url", Time: s.opt.Clock.Now(), Body: body, Header: r.Header.Clone()}
	fail := func(status int, code string) {
		call.Status, call.Error = status, code
		s.calls = append(s.calls, call)
		writeJSON(w, status, map[string]any{"ok": false, "error": code})
	}
	if err := s.limitLocked("response_url", "", call.Time); err != nil {
		call.Status, call.Error = err.status, err.code
		s.calls = append(s.calls, call)
		if err.after > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(err.after.Seconds()))))
		}
		w.WriteHeader(err.status)
		return
	}
	hook, ok := s.hooks[id]
	if !ok {
		fail(http.StatusNotFound, "expired_url")
		return
	}
	// Slack allows five responses per response_url.
	if hook.uses >= 5 {
		fail(http.StatusNotFound, "used_url")
		return
	}
	hook.uses++
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		fail(http.StatusBadRequest, "invalid_payload")
		return
	}
	call.Status = http.StatusOK
	s.calls = append(s.calls, call)
	if msg.ReplaceOriginal && hook.ts != "" {
		for _, m := range s.messages {
			if m.Channel == hook.channel && m.TS == hook.ts {
				m.Text, m.Blocks = msg.Text, msg.Blocks
				m.Updates++
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return
	}
	// A response_url reply is ephemeral unless it asks to be in_channel.
	m := &Message{Channel: hook.channel, TS: s.tsLocked(), ThreadTS: msg.ThreadTS, Text: msg.Text, Blocks: msg.Blocks,
		User: hook.user, Ephemeral: msg.ResponseType != "in_channel", Via: "response_url"}
	m.ResponseURL = s.newHookLocked(m.Channel, m.TS, m.User)
	s.messages = append(s.messages, m)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	call := Call{Method: "upload", Time: s.opt.Clock.Now(), Header: r.Header.Clone()}
	call.Header.Del("Authorization")
	var data []byte
	mr, err := r.MultipartReader()
	if err == nil {
		for {
			p, perr := mr.NextPart()
			if perr != nil {
				break
			}
			if p.FormName() == "file" {
				data, _ = io.ReadAll(io.LimitReader(p, 8<<20))
			}
			_ = p.Close()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	f, ok := s.files[id]
	if !ok || data == nil {
		call.Status = http.StatusBadRequest
		s.calls = append(s.calls, call)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.Data = data
	call.Status = http.StatusOK
	s.calls = append(s.calls, call)
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(data)))
}

// ---- Socket Mode ----

func (s *Server) socket(w http.ResponseWriter, r *http.Request) {
	conn, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.wsMu.Lock()
	if s.ws != nil {
		_ = s.ws.Close()
	}
	s.ws = conn
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "fakeslack", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": "A0KRING"}}
	// Slack pings every few seconds; slack-go reconnects when pings stop.
	_ = conn.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(time.Second))
	werr := conn.WriteJSON(hello)
	s.wsMu.Unlock()
	if werr != nil {
		return
	}
	s.mu.Lock()
	s.conns++
	if s.conns == 1 {
		close(s.connected)
	}
	s.notifyLocked()
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-s.closed:
				return
			case <-t.C:
				s.wsMu.Lock()
				_ = conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
				s.wsMu.Unlock()
			}
		}
	}()
	defer close(done)
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := conn.ReadJSON(&ack); err != nil {
			return
		}
		s.mu.Lock()
		if ack.Payload == nil {
			ack.Payload = json.RawMessage("null")
		}
		s.acks[ack.EnvelopeID] = ack.Payload
		if ch, ok := s.ackWait[ack.EnvelopeID]; ok {
			close(ch)
			delete(s.ackWait, ack.EnvelopeID)
		}
		s.notifyLocked()
		s.mu.Unlock()
	}
}

// WaitConnected blocks until a Socket Mode client has connected and got its hello.
func (s *Server) WaitConnected(ctx context.Context) error {
	select {
	case <-s.connected:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for socket mode client: %w", ctx.Err())
	}
}

// Envelope is one Socket Mode message to the client.
type Envelope struct {
	// Type is "events_api", "slash_commands" or "interactive".
	Type string
	// ID is the envelope_id; a fresh one is made when empty.
	ID      string
	Payload any
	// RetryAttempt and RetryReason mark a redelivery.
	RetryAttempt int
	RetryReason  string
}

// Send writes an envelope to the connected client and returns its envelope_id.
func (s *Server) Send(ctx context.Context, e Envelope) (string, error) {
	if err := s.WaitConnected(ctx); err != nil {
		return "", err
	}
	s.mu.Lock()
	if e.ID == "" {
		e.ID = s.nextLocked("env-")
	}
	s.ackWait[e.ID] = make(chan struct{})
	s.mu.Unlock()
	msg := map[string]any{"envelope_id": e.ID, "type": e.Type, "payload": e.Payload,
		"accepts_response_payload": e.Type != "events_api", "retry_attempt": e.RetryAttempt, "retry_reason": e.RetryReason}
	s.wsMu.Lock()
	defer s.wsMu.Unlock()
	if s.ws == nil {
		return "", errors.New("no socket mode connection")
	}
	if err := s.ws.WriteJSON(msg); err != nil {
		return "", fmt.Errorf("write envelope: %w", err)
	}
	return e.ID, nil
}

// SendRaw writes any JSON value to the socket (for malformed or unknown envelopes).
func (s *Server) SendRaw(ctx context.Context, v any) error {
	if err := s.WaitConnected(ctx); err != nil {
		return err
	}
	s.wsMu.Lock()
	defer s.wsMu.Unlock()
	if s.ws == nil {
		return errors.New("no socket mode connection")
	}
	return s.ws.WriteJSON(v)
}

// Ack waits for the client's ack of envelope id and returns its payload ("null" for none).
func (s *Server) Ack(ctx context.Context, id string) (json.RawMessage, error) {
	s.mu.Lock()
	if p, ok := s.acks[id]; ok {
		s.mu.Unlock()
		return p, nil
	}
	ch, ok := s.ackWait[id]
	if !ok {
		ch = make(chan struct{})
		s.ackWait[id] = ch
	}
	s.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for ack of %s: %w", id, ctx.Err())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acks[id], nil
}

// Acked reports whether envelope id was acknowledged.
func (s *Server) Acked(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.acks[id]
	return ok
}

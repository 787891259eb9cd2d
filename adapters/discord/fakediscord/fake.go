// Package fakediscord is a local stand-in for Discord: an httptest REST server and a
// websocket gateway that answer with Discord's documented payload shapes, so the real
// discordgo client can be driven in tests without touching the internet.
//
// The REST side serves the routes Kring uses (users/@me, gateway, DM channels, channel
// messages, threads, interaction callbacks, webhook follow-ups, guild command bulk
// overwrite), records every request, enforces Discord's global and per-route rate
// limits when asked (429 with Retry-After and X-RateLimit-* headers), and injects
// failures (50007 for a user who blocks DMs, 5xx, 429 storms). It also emulates
// Discord's mention parsing, so a test can ask who a stored message would have pinged.
//
// The gateway side sends Hello, accepts Identify and Resume, answers heartbeats,
// sends READY and GUILD_CREATE, and lets tests dispatch INTERACTION_CREATE and
// MESSAGE_CREATE events (DMs, and channel and thread messages whose content is empty
// unless the client has the MESSAGE_CONTENT intent or the bot is mentioned); a dropped
// connection can be resumed and missed events replay. Identifying with a privileged
// intent the application was not granted is closed with 4014.
//
// Point a discordgo session at it with Server.Client(): its transport rewrites requests
// for discord.com to the local server and refuses every other host.
package fakediscord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a fake server. Zero values pick the defaults noted per field.
type Options struct {
	// Token is the bot token the server accepts, without the "Bot " prefix (default "test-token").
	Token string
	// AppID is the application id (default "100000000000000001"); the bot user has the same id.
	AppID string
	// Guild is the guild the bot is in (default "200000000000000001").
	Guild string
	// Channels are the guild's text channels, sent in GUILD_CREATE (id -> name).
	Channels map[string]string
	// HeartbeatInterval is the interval announced in Hello (default 41.25s).
	HeartbeatInterval time.Duration
	// GlobalLimit is the most bot requests accepted in any rolling second; more get a
	// global 429 (0: not enforced). Discord's limit is 50.
	GlobalLimit int
	// RouteLimit and RouteWindow enforce a per-route bucket (e.g. 5 per 5s on a
	// channel's messages) with X-RateLimit headers on every answer (0: not enforced).
	RouteLimit  int
	RouteWindow time.Duration
	// InFlightGrace is how long after a global 429 a request still counts as already on
	// its way rather than as ignoring the limit (default 50ms).
	InFlightGrace time.Duration
	// PrivilegedIntents are the privileged gateway intents switched on for the
	// application (IntentMessageContent, say); identifying with another one is closed
	// with 4014 "Disallowed intent(s)", as Discord does.
	PrivilegedIntents int64
	// ArrivalJitter is how much later than it was sent a request may arrive on a busy
	// machine: a request over the global limit is still answered 429, as Discord would,
	// but counts as a Violation of the client's pacing only if the limit was also full
	// in the last second less this jitter (0: no allowance).
	ArrivalJitter time.Duration
	// Now is the clock used for interaction token expiry (default time.Now). Rate
	// limits always use the wall clock, as discordgo's own bucket handling does.
	Now func() time.Time
}

// Request is one recorded REST request and the status it was answered with.
type Request struct {
	Seq    int
	Time   time.Time
	Method string
	// Path is the request path without the /api/vN prefix, e.g. "/channels/42/messages".
	Path  string
	Query url.Values
	// Body is the JSON body (the payload_json part of a multipart request).
	Body []byte
	// Files are the names of uploaded files of a multipart request.
	Files  []string
	Auth   string
	Status int
	// Response is the JSON body the server answered with.
	Response []byte
}

// JSON decodes the request body into a generic map (nil when it is not an object).
func (r Request) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// Violation is a request that arrived when the client had been told to wait: before a
// Retry-After ended, or past the global limit.
type Violation struct {
	Path   string
	Reason string
	Time   time.Time
}

// Server is a fake Discord.
type Server struct {
	opts Options
	http *httptest.Server
	base *url.URL

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every recorded change
	reqs    []Request
	seq     int
	snow    int64

	messages     map[string]map[string]any // message id -> message object
	channelMsgs  map[string][]string       // channel id -> message ids in order
	dmByUser     map[string]string         // user id -> DM channel id
	dmUser       map[string]string         // DM channel id -> user id
	threads      map[string]map[string]any // thread id -> channel object
	commands     map[string][]map[string]any
	commandIDs   map[string]string // guild|name -> stable command id
	interactions map[string]*interaction
	byToken      map[string]*interaction
	modals       map[string]map[string]any // interaction id -> modal data sent

	refuseDM    map[string]bool
	faults      []*fault
	window      []time.Time // bot request times in the last second
	blocked     map[string]time.Time
	blockedAll  time.Time
	globalSince time.Time
	buckets     map[string]*bucket
	violations  []Violation
	nonces      map[string]nonceEntry
	nonceHits   int

	gw *gateway
}

type interaction struct {
	ID, Token, Channel, User string
	Created                  time.Time
	Acked                    int // response type, 0 while unacknowledged
	AckFlags                 int
	Loading                  bool   // a type 5 deferral not yet resolved by a follow-up
	Original                 string // message id of the original response
	SourceMessage            string // message the component was attached to
	Expired                  bool
	modalSubmit              bool
}

// New starts a fake server; Close stops it.
func New(o Options) *Server {
	if o.Token == "" {
		o.Token = "test-token"
	}
	if o.AppID == "" {
		o.AppID = "100000000000000001"
	}
	if o.Guild == "" {
		o.Guild = "200000000000000001"
	}
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = 41250 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.InFlightGrace == 0 {
		o.InFlightGrace = 50 * time.Millisecond
	}
	if o.RouteLimit > 0 && o.RouteWindow == 0 {
		o.RouteWindow = 5 * time.Second
	}
	s := &Server{
		opts:         o,
		changed:      make(chan struct{}),
		messages:     map[string]map[string]any{},
		nonces:       map[string]nonceEntry{},
		channelMsgs:  map[string][]string{},
		dmByUser:     map[string]string{},
		dmUser:       map[string]string{},
		threads:      map[string]map[string]any{},
		commands:     map[string][]map[string]any{},
		commandIDs:   map[string]string{},
		interactions: map[string]*interaction{},
		byToken:      map[string]*interaction{},
		modals:       map[string]map[string]any{},
		refuseDM:     map[string]bool{},
		blocked:      map[string]time.Time{},
		buckets:      map[string]*bucket{},
	}
	s.gw = newGateway(s)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveREST)
	mux.HandleFunc("/gateway/", s.gw.serve)
	s.http = httptest.NewServer(mux)
	s.base, _ = url.Parse(s.http.URL)
	return s
}

// Close stops the server and drops every gateway connection.
func (s *Server) Close() {
	s.gw.closeAll()
	s.http.Close()
}

// URL is the server's http base URL.
func (s *Server) URL() string { return s.http.URL }

// AppID is the application (and bot user) id.
func (s *Server) AppID() string { return s.opts.AppID }

// Guild is the guild id the bot is in.
func (s *Server) Guild() string { return s.opts.Guild }

// Token is the bot token the server accepts.
func (s *Server) Token() string { return s.opts.Token }

// Client returns an HTTP client whose transport sends every request for Discord's hosts
// to this server and refuses any other host, so a test cannot reach the internet.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: &rewrite{base: s.base, inner: http.DefaultTransport}, Timeout: 20 * time.Second}
}

// discordHosts are the hosts a discordgo session talks to over REST.
var discordHosts = map[string]bool{
	"discord.com": true, "discordapp.com": true, "cdn.discordapp.com": true,
	"media.discordapp.net": true, "status.discord.com": true,
}

type rewrite struct {
	base  *url.URL
	inner http.RoundTripper
}

func (r *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == r.base.Host {
		return r.inner.RoundTrip(req)
	}
	if !discordHosts[req.URL.Hostname()] {
		return nil, fmt.Errorf("fakediscord: refusing to contact %s: tests must not reach the internet", req.URL.Host)
	}
	out := req.Clone(req.Context())
	u := *req.URL
	u.Scheme = r.base.Scheme
	u.Host = r.base.Host
	out.URL = &u
	out.Host = r.base.Host
	return r.inner.RoundTrip(out)
}

// notifyLocked wakes everyone waiting for a change. Call with s.mu held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Requests returns a copy of every recorded REST request, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Count returns how many recorded requests match.
func (s *Server) Count(match func(Request) bool) int {
	n := 0
	for _, r := range s.Requests() {
		if match(r) {
			n++
		}
	}
	return n
}

// Wait blocks until a recorded request matches and returns the first that does.
func (s *Server) Wait(ctx context.Context, match func(Request) bool) (Request, error) {
	for {
		s.mu.Lock()
		for _, r := range s.reqs {
			if match(r) {
				s.mu.Unlock()
				return r, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Request{}, fmt.Errorf("waiting for a request: %w", ctx.Err())
		}
	}
}

// WaitN blocks until n recorded requests match.
func (s *Server) WaitN(ctx context.Context, n int, match func(Request) bool) ([]Request, error) {
	for {
		s.mu.Lock()
		var got []Request
		for _, r := range s.reqs {
			if match(r) {
				got = append(got, r)
			}
		}
		ch := s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, fmt.Errorf("waiting for %d requests, have %d: %w", n, len(got), ctx.Err())
		}
	}
}

// Route matches requests by method and path; a "*" path segment matches any segment
// and a trailing "/**" any rest.
func Route(method, pattern string) func(Request) bool {
	return func(r Request) bool {
		return (method == "" || r.Method == method) && pathMatch(pattern, r.Path)
	}
}

func pathMatch(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range ps {
		if p == "**" {
			return true
		}
		if i >= len(xs) || (p != "*" && p != xs[i]) {
			return false
		}
	}
	return len(ps) == len(xs)
}

// Violations returns the requests that came when the client had been told to wait.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// RefuseDMs makes every message to user's DM channel fail with Discord's 50007
// ("Cannot send messages to this user"), as when a pupil blocks DMs from server members.
func (s *Server) RefuseDMs(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseDM[user] = true
}

// ExpireInteraction makes the interaction's token invalid, as Discord does after 15 minutes.
func (s *Server) ExpireInteraction(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in, ok := s.interactions[id]; ok {
		in.Expired = true
	}
}

// Message returns a copy of a stored message object.
func (s *Server) Message(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[id]
	if !ok {
		return nil, false
	}
	return clone(m), true
}

// ChannelMessages returns copies of the messages posted in a channel, oldest first.
func (s *Server) ChannelMessages(channel string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, id := range s.channelMsgs[channel] {
		out = append(out, clone(s.messages[id]))
	}
	return out
}

// DMChannel returns the DM channel id opened for user, if any.
func (s *Server) DMChannel(user string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.dmByUser[user]
	return c, ok
}

// OpenDM opens (or returns) user's DM channel without a request, as if Kring had
// opened it on an earlier day.
func (s *Server) OpenDM(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.dmByUser[user]
	if !ok {
		ch = s.snowflakeLocked()
		s.dmByUser[user] = ch
		s.dmUser[ch] = user
	}
	return ch
}

// Commands returns the commands registered for guild.
func (s *Server) Commands(guild string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, c := range s.commands[guild] {
		out = append(out, clone(c))
	}
	return out
}

// InteractionAck returns the response type the interaction was acknowledged with (0: none yet).
func (s *Server) InteractionAck(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in, ok := s.interactions[id]; ok {
		return in.Acked
	}
	return 0
}

// Modal returns the modal an interaction was answered with (type 9), if any.
func (s *Server) Modal(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.modals[id]
	return clone(m), ok
}

// Snowflake returns a new id in Discord's format, ordered by creation.
func (s *Server) Snowflake() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snowflakeLocked()
}

func (s *Server) snowflakeLocked() string {
	s.snow++
	ms := s.opts.Now().UnixMilli() - 1420070400000
	return strconv.FormatInt(ms<<22|(s.snow&0x3fffff), 10)
}

func clone(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// apiError is Discord's JSON error body.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

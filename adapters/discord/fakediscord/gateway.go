package fakediscord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway opcodes used here (Discord's numbering).
const (
	OpDispatch       = 0
	OpHeartbeat      = 1
	OpIdentify       = 2
	OpResume         = 6
	OpReconnect      = 7
	OpInvalidSession = 9
	OpHello          = 10
	OpHeartbeatACK   = 11
	// OpClosed is not Discord's: the fake records it when a client connection ends.
	OpClosed = -1
)

// Frame is one recorded gateway payload.
type Frame struct {
	// In is true for a payload the client sent, false for one the server sent.
	In   bool
	Op   int
	T    string
	S    int64
	D    json.RawMessage
	Time time.Time
}

type wirePayload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

type gwConn struct {
	c   *websocket.Conn
	wmu sync.Mutex
}

func (c *gwConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.c.WriteMessage(websocket.TextMessage, b)
}

type gateway struct {
	s  *Server
	up websocket.Upgrader

	mu      sync.Mutex
	conns   map[*gwConn]bool
	current *gwConn
	session string
	seq     int64
	history [][]byte // every dispatch of the session, for resume replays
	frames  []Frame
	// intents are the gateway intents the client identified with.
	intents int64
}

// Gateway intents the fake gives meaning to (Discord's bit numbers).
const (
	IntentGuildMessages  = 1 << 9
	IntentMessageContent = 1 << 15
	// privilegedIntents need the switch on the application's Bot page (GUILD_MEMBERS,
	// GUILD_PRESENCES, MESSAGE_CONTENT); without it Discord closes with 4014.
	privilegedIntents = 1<<1 | 1<<8 | 1<<15
)

// hasIntent reports whether the current session identified with intent.
func (g *gateway) hasIntent(intent int64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.intents&intent != 0
}

func newGateway(s *Server) *gateway {
	return &gateway{s: s, conns: map[*gwConn]bool{}, up: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}}
}

func (g *gateway) url() string {
	return "ws" + strings.TrimPrefix(g.s.http.URL, "http") + "/gateway"
}

func (g *gateway) record(f Frame) {
	f.Time = time.Now()
	g.s.mu.Lock()
	g.frames = append(g.frames, f)
	g.s.notifyLocked()
	g.s.mu.Unlock()
}

func (g *gateway) send(c *gwConn, op int, t string, seq int64, d any) ([]byte, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	p := wirePayload{Op: op, D: raw}
	if op == OpDispatch {
		p.S = &seq
		p.T = &t
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	g.record(Frame{Op: op, T: t, S: seq, D: raw})
	if c == nil {
		return b, nil
	}
	return b, c.write(b)
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	ws, err := g.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{c: ws}
	g.mu.Lock()
	g.conns[c] = true
	g.mu.Unlock()
	defer func() {
		g.record(Frame{In: true, Op: OpClosed})
		g.mu.Lock()
		delete(g.conns, c)
		if g.current == c {
			g.current = nil
		}
		g.mu.Unlock()
		_ = ws.Close()
	}()
	if _, err := g.send(c, OpHello, "", 0, map[string]any{"heartbeat_interval": g.s.opts.HeartbeatInterval.Milliseconds()}); err != nil {
		return
	}
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var p wirePayload
		if err := json.Unmarshal(msg, &p); err != nil {
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4002, "Error while decoding payload."), time.Now().Add(time.Second))
			return
		}
		g.record(Frame{In: true, Op: p.Op, D: p.D})
		switch p.Op {
		case OpHeartbeat:
			if _, err := g.send(c, OpHeartbeatACK, "", 0, nil); err != nil {
				return
			}
		case OpIdentify:
			var id struct {
				Token   string `json:"token"`
				Intents int64  `json:"intents"`
			}
			_ = json.Unmarshal(p.D, &id)
			if strings.TrimPrefix(id.Token, "Bot ") != g.s.opts.Token {
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."), time.Now().Add(time.Second))
				return
			}
			if id.Intents&privilegedIntents&^g.s.opts.PrivilegedIntents != 0 {
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4014, "Disallowed intent(s)."), time.Now().Add(time.Second))
				return
			}
			g.mu.Lock()
			g.intents = id.Intents
			g.mu.Unlock()
			if err := g.identify(c); err != nil {
				return
			}
		case OpResume:
			var rs struct {
				SessionID string `json:"session_id"`
				Seq       int64  `json:"seq"`
			}
			_ = json.Unmarshal(p.D, &rs)
			if err := g.resume(c, rs.SessionID, rs.Seq); err != nil {
				return
			}
		}
	}
}

// identify starts a new session on c and sends READY and GUILD_CREATE.
func (g *gateway) identify(c *gwConn) error {
	s := g.s
	g.mu.Lock()
	defer g.mu.Unlock()
	g.session = fmt.Sprintf("session-%d", time.Now().UnixNano())
	g.seq = 0
	g.history = nil
	g.current = c
	ready := map[string]any{
		"v": 10, "user": s.botUser(), "session_type": "normal", "session_id": g.session,
		"resume_gateway_url": g.url(), "shard": []int{0, 1},
		"guilds":           []any{map[string]any{"id": s.opts.Guild, "unavailable": true}},
		"application":      map[string]any{"id": s.opts.AppID, "flags": 0},
		"private_channels": []any{}, "presences": []any{}, "relationships": []any{},
		"guild_join_requests": []any{}, "geo_ordered_rtc_regions": []any{}, "auth": map[string]any{},
	}
	if err := g.dispatchLocked("READY", ready); err != nil {
		return err
	}
	return g.dispatchLocked("GUILD_CREATE", s.guildObject())
}

func (s *Server) guildObject() map[string]any {
	channels := []any{}
	pos := 0
	for id, name := range s.opts.Channels {
		channels = append(channels, map[string]any{
			"id": id, "type": 0, "name": name, "position": pos, "guild_id": s.opts.Guild,
			"permission_overwrites": []any{}, "nsfw": false, "topic": nil, "last_message_id": nil,
			"rate_limit_per_user": 0, "parent_id": nil, "flags": 0,
		})
		pos++
	}
	return map[string]any{
		"id": s.opts.Guild, "name": "Test School", "icon": nil, "owner_id": "1", "unavailable": false,
		"large": false, "member_count": 2, "joined_at": time.Now().UTC().Format(time.RFC3339Nano),
		"preferred_locale": "nl", "features": []any{}, "verification_level": 1,
		"roles":    []any{map[string]any{"id": s.opts.Guild, "name": "@everyone", "permissions": "1071698660929", "position": 0, "color": 0, "hoist": false, "managed": false, "mentionable": false}},
		"channels": channels, "threads": []any{}, "members": []any{}, "voice_states": []any{},
		"presences": []any{}, "emojis": []any{}, "stickers": []any{}, "stage_instances": []any{},
		"guild_scheduled_events": []any{},
	}
}

// resume continues the session on c: replays missed dispatches, then RESUMED. An
// unknown session gets Invalid Session (d: false), as Discord answers.
func (g *gateway) resume(c *gwConn, session string, seq int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if session == "" || session != g.session || seq > g.seq {
		_, err := g.send(c, OpInvalidSession, "", 0, false)
		return err
	}
	g.current = c
	for _, b := range g.history {
		var p wirePayload
		_ = json.Unmarshal(b, &p)
		if p.S != nil && *p.S > seq {
			if err := c.write(b); err != nil {
				return err
			}
			g.record(Frame{Op: OpDispatch, T: *p.T, S: *p.S, D: p.D})
		}
	}
	return g.dispatchLocked("RESUMED", nil)
}

func (g *gateway) dispatchLocked(t string, d any) error {
	g.seq++
	b, err := g.send(nil, OpDispatch, t, g.seq, d)
	if err != nil {
		return err
	}
	g.history = append(g.history, b)
	if g.current == nil {
		return nil
	}
	if err := g.current.write(b); err != nil {
		// The connection broke; the client will resume and get this from the history.
		return nil
	}
	return nil
}

// Dispatch sends an event to the connected client (or keeps it for the client's resume
// when no connection is up) and returns its sequence number.
func (s *Server) Dispatch(t string, d any) (int64, error) {
	g := s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.session == "" {
		return 0, errors.New("fakediscord: no gateway session: the client has not identified")
	}
	if err := g.dispatchLocked(t, d); err != nil {
		return 0, err
	}
	return g.seq, nil
}

// Redispatch sends an earlier dispatch again with a new sequence number: Discord
// delivering the same event twice.
func (s *Server) Redispatch(seq int64) error {
	g := s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, b := range g.history {
		var p wirePayload
		_ = json.Unmarshal(b, &p)
		if p.S != nil && *p.S == seq {
			return g.dispatchLocked(*p.T, p.D)
		}
	}
	return fmt.Errorf("fakediscord: no dispatch with seq %d", seq)
}

// Drop breaks the current gateway connection without a close frame, as a network
// failure does; the client should reconnect and resume.
func (s *Server) Drop() {
	g := s.gw
	g.mu.Lock()
	c := g.current
	g.current = nil
	g.mu.Unlock()
	if c != nil {
		_ = c.c.UnderlyingConn().Close()
	}
}

// RequestReconnect sends opcode 7 (Reconnect) to the client.
func (s *Server) RequestReconnect() error {
	g := s.gw
	g.mu.Lock()
	c := g.current
	g.mu.Unlock()
	if c == nil {
		return errors.New("fakediscord: no gateway connection")
	}
	_, err := g.send(c, OpReconnect, "", 0, nil)
	return err
}

func (g *gateway) closeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		_ = c.c.UnderlyingConn().Close()
	}
	g.current = nil
}

// Frames returns the recorded gateway payloads.
func (s *Server) Frames() []Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Frame(nil), s.gw.frames...)
}

// WaitFrame blocks until a recorded gateway payload matches, skipping the first skip
// matches, and returns it.
func (s *Server) WaitFrame(ctx context.Context, skip int, match func(Frame) bool) (Frame, error) {
	for {
		s.mu.Lock()
		n := 0
		for _, f := range s.gw.frames {
			if match(f) {
				if n == skip {
					s.mu.Unlock()
					return f, nil
				}
				n++
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Frame{}, fmt.Errorf("waiting for a gateway frame: %w", ctx.Err())
		}
	}
}

// Connected returns whether a client is identified or resumed on the gateway now.
func (s *Server) Connected() bool {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return s.gw.current != nil
}

// ClientOp matches a payload the client sent with opcode op.
func ClientOp(op int) func(Frame) bool {
	return func(f Frame) bool { return f.In && f.Op == op }
}

// ServerEvent matches a dispatch the server sent with event name t.
func ServerEvent(t string) func(Frame) bool {
	return func(f Frame) bool { return !f.In && f.Op == OpDispatch && f.T == t }
}

package fakeslack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The builders below produce payloads in the shapes Slack documents for slash
// commands, block_actions, view_submission and Events API callbacks, so the client
// under test parses what Slack would really send. They issue fresh trigger ids and
// response URLs from the server, as Slack does for every user action.

const appID = "A0KRING"

func (s *Server) userObj(user string) map[string]any {
	return map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user), "team_id": s.opt.Team}
}

func channelName(ch string) string {
	if strings.HasPrefix(ch, "D") {
		return "directmessage"
	}
	return "class-" + strings.ToLower(ch)
}

// SlashCommand returns a slash_commands payload for `/kring text` typed by user in channel.
func (s *Server) SlashCommand(user, channel, command, text string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{
		"token":                 "gIkuvaNzQIHg97ATvDxqgjtO",
		"team_id":               s.opt.Team,
		"team_domain":           "kring-test",
		"channel_id":            channel,
		"channel_name":          channelName(channel),
		"user_id":               user,
		"user_name":             strings.ToLower(user),
		"command":               command,
		"text":                  text,
		"api_app_id":            appID,
		"is_enterprise_install": "false",
		"response_url":          s.newHookLocked(channel, "", user),
		"trigger_id":            s.newTriggerLocked(),
	}
}

// FormValues turns a flat payload (a slash command) into the form Slack posts over HTTP.
func FormValues(p map[string]any) url.Values {
	v := url.Values{}
	for k, x := range p {
		v.Set(k, fmt.Sprint(x))
	}
	return v
}

// InteractiveForm wraps an interaction payload as Slack posts it over HTTP: payload=<json>.
func InteractiveForm(p map[string]any) url.Values {
	b, _ := json.Marshal(p)
	return url.Values{"payload": {string(b)}}
}

type element struct {
	Type     string          `json:"type"`
	ActionID string          `json:"action_id"`
	Value    string          `json:"value"`
	Style    string          `json:"style"`
	Text     json.RawMessage `json:"text"`
	Options  []struct {
		Text  struct{ Text string } `json:"text"`
		Value string                `json:"value"`
	} `json:"options"`
	Placeholder json.RawMessage `json:"placeholder"`
}

type block struct {
	Type     string          `json:"type"`
	BlockID  string          `json:"block_id"`
	Elements json.RawMessage `json:"elements"`
	Element  json.RawMessage `json:"element"`
}

func textOf(raw json.RawMessage) string {
	var t struct{ Text string }
	_ = json.Unmarshal(raw, &t)
	return t.Text
}

// Buttons lists the labels of the buttons in a message, in order.
func Buttons(m Message) []string {
	var out []string
	var blocks []block
	_ = json.Unmarshal(m.Blocks, &blocks)
	for _, b := range blocks {
		var els []element
		_ = json.Unmarshal(b.Elements, &els)
		for _, e := range els {
			if e.Type == "button" {
				out = append(out, textOf(e.Text))
			}
		}
	}
	return out
}

// SelectOptions lists the option labels of the static selects in a message.
func SelectOptions(m Message) []string {
	var out []string
	var blocks []block
	_ = json.Unmarshal(m.Blocks, &blocks)
	for _, b := range blocks {
		var els []element
		_ = json.Unmarshal(b.Elements, &els)
		for _, e := range els {
			if e.Type == "static_select" {
				for _, o := range e.Options {
					out = append(out, o.Text.Text)
				}
			}
		}
	}
	return out
}

// PressButton returns the block_actions payload of user pressing the button labelled
// label on message m, as Slack sends it.
func (s *Server) PressButton(m Message, user, label string) (map[string]any, error) {
	var blocks []block
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		return nil, fmt.Errorf("message blocks: %w", err)
	}
	for _, b := range blocks {
		var els []element
		_ = json.Unmarshal(b.Elements, &els)
		for _, e := range els {
			if e.Type != "button" || textOf(e.Text) != label {
				continue
			}
			action := map[string]any{"action_id": e.ActionID, "block_id": b.BlockID, "type": "button",
				"text": map[string]any{"type": "plain_text", "text": label, "emoji": true}, "value": e.Value}
			if e.Style != "" {
				action["style"] = e.Style
			}
			return s.blockActions(m, user, action), nil
		}
	}
	return nil, fmt.Errorf("no button %q in message %s", label, m.TS)
}

// ChooseOption returns the block_actions payload of user choosing the option labelled
// label in a static select of message m.
func (s *Server) ChooseOption(m Message, user, label string) (map[string]any, error) {
	var blocks []block
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		return nil, fmt.Errorf("message blocks: %w", err)
	}
	for _, b := range blocks {
		var els []element
		_ = json.Unmarshal(b.Elements, &els)
		for _, e := range els {
			if e.Type != "static_select" {
				continue
			}
			for _, o := range e.Options {
				if o.Text.Text != label {
					continue
				}
				action := map[string]any{"action_id": e.ActionID, "block_id": b.BlockID, "type": "static_select",
					"selected_option": map[string]any{"text": map[string]any{"type": "plain_text", "text": label, "emoji": true}, "value": o.Value},
					"placeholder":     e.Placeholder}
				return s.blockActions(m, user, action), nil
			}
		}
	}
	return nil, fmt.Errorf("no option %q in message %s", label, m.TS)
}

func (s *Server) blockActions(m Message, user string, action map[string]any) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	action["action_ts"] = fmt.Sprintf("%d.%06d", s.opt.Clock.Now().Unix(), s.seq+1)
	// Every interaction carries its own response_url, tied to the person who acted: an
	// ephemeral answer through it reaches them alone, even under a shared post.
	hook := m.ResponseURL
	if hook == "" || !m.Ephemeral {
		hook = s.newHookLocked(m.Channel, m.TS, user)
	}
	p := map[string]any{
		"type":       "block_actions",
		"user":       s.userObj(user),
		"api_app_id": appID,
		"token":      "gIkuvaNzQIHg97ATvDxqgjtO",
		"container": map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel,
			"is_ephemeral": m.Ephemeral},
		"trigger_id":            s.newTriggerLocked(),
		"team":                  map[string]any{"id": s.opt.Team, "domain": "kring-test"},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": m.Channel, "name": channelName(m.Channel)},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          hook,
		"actions":               []any{action},
	}
	// Slack leaves the message out of payloads from ephemeral messages.
	if !m.Ephemeral {
		var blocks any
		_ = json.Unmarshal(m.Blocks, &blocks)
		p["message"] = map[string]any{"type": "message", "subtype": "bot_message", "user": s.opt.BotUser, "bot_id": s.opt.BotID,
			"app_id": appID, "ts": m.TS, "text": m.Text, "team": s.opt.Team, "blocks": blocks}
	}
	return p
}

// Submit returns the view_submission payload of user submitting modal v with the given
// values, keyed by the input blocks' block_id.
func (s *Server) Submit(v View, user string, values map[string]string) (map[string]any, error) {
	var blocks []block
	if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
		return nil, fmt.Errorf("view blocks: %w", err)
	}
	state := map[string]any{}
	for _, b := range blocks {
		if b.Type != "input" {
			continue
		}
		var e element
		_ = json.Unmarshal(b.Element, &e)
		val, ok := values[b.BlockID]
		var value any
		if ok && val != "" {
			value = val
		}
		state[b.BlockID] = map[string]any{e.ActionID: map[string]any{"type": e.Type, "value": value}}
	}
	var view map[string]any
	if err := json.Unmarshal(v.Raw, &view); err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	view["id"] = v.ID
	view["team_id"] = s.opt.Team
	view["state"] = map[string]any{"values": state}
	view["hash"] = "1700000000.h" + v.ID
	view["root_view_id"] = v.ID
	view["previous_view_id"] = nil
	view["app_id"] = appID
	view["app_installed_team_id"] = s.opt.Team
	view["bot_id"] = s.opt.BotID
	return map[string]any{
		"type":                  "view_submission",
		"team":                  map[string]any{"id": s.opt.Team, "domain": "kring-test"},
		"user":                  s.userObj(user),
		"api_app_id":            appID,
		"token":                 "gIkuvaNzQIHg97ATvDxqgjtO",
		"trigger_id":            s.newTriggerLocked(),
		"view":                  view,
		"response_urls":         []any{},
		"is_enterprise_install": false,
		"enterprise":            nil,
	}, nil
}

// EventCallback wraps an inner event in the Events API envelope with event id.
func (s *Server) EventCallback(eventID string, event map[string]any) map[string]any {
	return map[string]any{
		"token":                 "gIkuvaNzQIHg97ATvDxqgjtO",
		"team_id":               s.opt.Team,
		"api_app_id":            appID,
		"event":                 event,
		"type":                  "event_callback",
		"event_id":              eventID,
		"event_time":            s.opt.Clock.Now().Unix(),
		"authorizations":        []any{map[string]any{"enterprise_id": nil, "team_id": s.opt.Team, "user_id": s.opt.BotUser, "is_bot": true, "is_enterprise_install": false}},
		"is_ext_shared_channel": false,
		"event_context":         "4-eyJldCI6Im1lc3NhZ2UifQ",
	}
}

// MessageIM is a message.im event: user typed text in their DM with the bot. Text is
// as Slack encodes it (&, <, > escaped; mentions as <@U...>).
func (s *Server) MessageIM(user, text string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.tsLocked()
	return map[string]any{"client_msg_id": "5b6c0c55-" + ts, "type": "message", "text": text, "user": user, "ts": ts,
		"team": s.opt.Team, "channel": s.dmLocked(user), "event_ts": ts, "channel_type": "im"}
}

// AppHomeOpened is an app_home_opened event for the Home tab of user.
func (s *Server) AppHomeOpened(user string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.tsLocked()
	return map[string]any{"type": "app_home_opened", "user": user, "channel": s.dmLocked(user), "tab": "home", "event_ts": ts}
}

// Sign returns the headers Slack adds to an HTTP request: X-Slack-Request-Timestamp
// and the v0 HMAC-SHA256 X-Slack-Signature over "v0:timestamp:body".
func Sign(secret string, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	_, _ = mac.Write([]byte("v0:" + ts + ":"))
	_, _ = mac.Write(body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// ChannelMessage returns the events Slack sends when user posts text in a channel (or,
// with threadTS, replies in the thread of that parent message): a message.channels event
// (message.groups for a private channel: channel_type "group"), with parent_user_id
// for a thread reply whose parent Kring posted, and, when the text mentions the bot
// (<@BOT>), an app_mention event as well. Text is as Slack encodes it.
func (s *Server) ChannelMessage(user, channel, threadTS, text string, private bool) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.tsLocked()
	ct := "channel"
	if private {
		ct = "group"
	}
	msg := map[string]any{"client_msg_id": "7c1d2e3f-" + ts, "type": "message", "text": text, "user": user, "ts": ts,
		"team": s.opt.Team, "channel": channel, "event_ts": ts, "channel_type": ct,
		"blocks": []any{map[string]any{"type": "rich_text", "block_id": "b" + ts, "elements": []any{}}}}
	if threadTS != "" {
		msg["thread_ts"] = threadTS
		for _, m := range s.messages {
			if m.Channel == channel && m.TS == threadTS && !m.Ephemeral {
				msg["parent_user_id"] = s.opt.BotUser
			}
		}
	}
	out := []map[string]any{msg}
	if strings.Contains(text, "<@"+s.opt.BotUser+">") || strings.Contains(text, "<@"+s.opt.BotUser+"|") {
		mention := map[string]any{"type": "app_mention", "user": user, "text": text, "ts": ts, "team": s.opt.Team,
			"channel": channel, "event_ts": ts, "client_msg_id": "7c1d2e3f-" + ts}
		if threadTS != "" {
			mention["thread_ts"] = threadTS
		}
		out = append(out, mention)
	}
	return out
}

// MessageChanged is the message_changed event Slack sends when user edits a message
// in channel to newText.
func (s *Server) MessageChanged(user, channel, ts, newText string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	ets := s.tsLocked()
	return map[string]any{"type": "message", "subtype": "message_changed", "hidden": true, "channel": channel, "ts": ets, "event_ts": ets,
		"channel_type":     "channel",
		"message":          map[string]any{"type": "message", "user": user, "text": newText, "ts": ts, "edited": map[string]any{"user": user, "ts": ets}},
		"previous_message": map[string]any{"type": "message", "user": user, "text": "", "ts": ts}}
}

// ChannelJoin is the channel_join message Slack posts when user joins channel.
func (s *Server) ChannelJoin(user, channel string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.tsLocked()
	return map[string]any{"type": "message", "subtype": "channel_join", "user": user, "text": "<@" + user + "> has joined the channel",
		"ts": ts, "event_ts": ts, "channel": channel, "channel_type": "channel", "team": s.opt.Team}
}

// BotEcho is the message event Slack sends channel members for a message Kring posted.
func (s *Server) BotEcho(m Message) map[string]any {
	return map[string]any{"type": "message", "subtype": "bot_message", "bot_id": s.opt.BotID, "user": s.opt.BotUser, "app_id": appID,
		"text": m.Text, "ts": m.TS, "event_ts": m.TS, "channel": m.Channel, "channel_type": "channel", "team": s.opt.Team}
}

package fakediscord

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// Interaction names a dispatched INTERACTION_CREATE.
type Interaction struct {
	ID    string
	Token string
	// Seq is the gateway sequence number it was dispatched with.
	Seq int64
}

// Option is one slash-command option as the user filled it in.
type Option struct {
	Name string
	// Type is Discord's option type: 3 string, 4 integer, 5 boolean, 6 user, 7 channel, 8 role.
	Type  int
	Value any
}

// Actor is the person who acts in an interaction.
type Actor struct {
	User string
	// Locale is the user's client language, e.g. "nl" or "en-US" (default "nl").
	Locale string
	// Guild overrides the guild the interaction comes from (default: the fake's guild).
	Guild string
}

func (a Actor) locale() string {
	if a.Locale == "" {
		return "nl"
	}
	return a.Locale
}

func newToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "aW50ZXJhY3Rpb246" + hex.EncodeToString(b[:])
}

// newInteraction registers an interaction and returns its base payload, shaped as in
// Discord's documentation (guild context with member, or bot-DM context with user).
func (s *Server) newInteraction(typ int, who Actor, channel string, dm bool, source string, modalSubmit bool) (map[string]any, *interaction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.snowflakeLocked()
	in := &interaction{ID: id, Token: newToken(), Channel: channel, User: who.User, Created: s.opts.Now(), SourceMessage: source, modalSubmit: modalSubmit}
	s.interactions[id] = in
	s.byToken[in.Token] = in
	p := map[string]any{
		"id": id, "application_id": s.opts.AppID, "type": typ, "token": in.Token, "version": 1,
		"channel_id": channel, "locale": who.locale(), "entitlements": []any{},
		"app_permissions": "562949953601536", "attachment_size_limit": 10485760,
	}
	if dm {
		p["context"] = 1
		p["user"] = userObject(who.User)
		p["channel"] = map[string]any{"id": channel, "type": 1, "flags": 0, "recipients": []any{userObject(who.User)}}
		p["authorizing_integration_owners"] = map[string]any{"0": s.opts.Guild}
	} else {
		guild := s.opts.Guild
		if who.Guild != "" {
			guild = who.Guild
		}
		p["context"] = 0
		p["guild_id"] = guild
		p["guild_locale"] = "nl"
		p["guild"] = map[string]any{"id": guild, "locale": "nl", "features": []any{}}
		p["channel"] = map[string]any{"id": channel, "type": 0, "guild_id": guild, "name": s.opts.Channels[channel], "flags": 0}
		p["member"] = map[string]any{
			"user": userObject(who.User), "roles": []any{}, "joined_at": time.Now().UTC().Format(time.RFC3339Nano),
			"deaf": false, "mute": false, "flags": 0, "pending": false, "nick": nil, "avatar": nil,
			"permissions": "1071698660929", "communication_disabled_until": nil,
		}
		p["authorizing_integration_owners"] = map[string]any{"0": s.opts.Guild}
	}
	return p, in
}

func (s *Server) dispatchInteraction(p map[string]any, in *interaction) (Interaction, error) {
	seq, err := s.Dispatch("INTERACTION_CREATE", p)
	if err != nil {
		return Interaction{}, err
	}
	return Interaction{ID: in.ID, Token: in.Token, Seq: seq}, nil
}

// SlashCommand dispatches a chat-input command used by who in a guild channel.
func (s *Server) SlashCommand(who Actor, channel, name string, options ...Option) (Interaction, error) {
	p, in := s.newInteraction(2, who, channel, false, "", false)
	opts := []any{}
	resolved := map[string]any{}
	for _, o := range options {
		opts = append(opts, map[string]any{"name": o.Name, "type": o.Type, "value": o.Value})
		if o.Type == 6 {
			id := fmt.Sprint(o.Value)
			users, _ := resolved["users"].(map[string]any)
			if users == nil {
				users = map[string]any{}
				resolved["users"] = users
			}
			users[id] = userObject(id)
		}
	}
	s.mu.Lock()
	cmdID := s.commandIDs[s.opts.Guild+"|"+name]
	s.mu.Unlock()
	if cmdID == "" {
		cmdID = s.Snowflake()
	}
	data := map[string]any{"id": cmdID, "name": name, "type": 1, "guild_id": s.opts.Guild, "options": opts}
	if len(resolved) > 0 {
		data["resolved"] = resolved
	}
	p["data"] = data
	return s.dispatchInteraction(p, in)
}

// componentTarget finds the stored message and whether it lives in a DM.
func (s *Server) componentTarget(messageID string) (msg map[string]any, dm bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[messageID]
	if !ok {
		return nil, false, fmt.Errorf("fakediscord: no message %s", messageID)
	}
	ch, _ := m["channel_id"].(string)
	_, dm = s.dmUser[ch]
	return clone(m), dm, nil
}

// PressButton dispatches a click on the button with customID of a stored message.
func (s *Server) PressButton(who Actor, messageID, customID string) (Interaction, error) {
	msg, dm, err := s.componentTarget(messageID)
	if err != nil {
		return Interaction{}, err
	}
	if findComponent(msg, customID) == nil {
		return Interaction{}, fmt.Errorf("fakediscord: message %s has no component %q", messageID, customID)
	}
	p, in := s.newInteraction(3, who, msg["channel_id"].(string), dm, messageID, false)
	p["message"] = msg
	p["data"] = map[string]any{"custom_id": customID, "component_type": 2}
	return s.dispatchInteraction(p, in)
}

// Choose dispatches a choice in the select menu with customID of a stored message.
func (s *Server) Choose(who Actor, messageID, customID string, values ...string) (Interaction, error) {
	msg, dm, err := s.componentTarget(messageID)
	if err != nil {
		return Interaction{}, err
	}
	if findComponent(msg, customID) == nil {
		return Interaction{}, fmt.Errorf("fakediscord: message %s has no component %q", messageID, customID)
	}
	p, in := s.newInteraction(3, who, msg["channel_id"].(string), dm, messageID, false)
	p["message"] = msg
	vals := []any{}
	for _, v := range values {
		vals = append(vals, v)
	}
	p["data"] = map[string]any{"custom_id": customID, "component_type": 3, "values": vals}
	return s.dispatchInteraction(p, in)
}

// SubmitModal dispatches the submission of the modal that opened answered with (a type 9
// callback), with values by text-input custom_id.
func (s *Server) SubmitModal(who Actor, opened Interaction, values map[string]string) (Interaction, error) {
	modal, ok := s.Modal(opened.ID)
	if !ok {
		return Interaction{}, fmt.Errorf("fakediscord: interaction %s was not answered with a modal", opened.ID)
	}
	s.mu.Lock()
	src := s.interactions[opened.ID]
	s.mu.Unlock()
	rows := []any{}
	for _, r := range modal["components"].([]any) {
		c := r.(map[string]any)["components"].([]any)[0].(map[string]any)
		id := c["custom_id"].(string)
		rows = append(rows, map[string]any{"type": 1, "components": []any{
			map[string]any{"type": 4, "custom_id": id, "value": values[id]},
		}})
	}
	var msg map[string]any
	dm := false
	channel := src.Channel
	if src.SourceMessage != "" {
		var err error
		msg, dm, err = s.componentTarget(src.SourceMessage)
		if err != nil {
			return Interaction{}, err
		}
	}
	p, in := s.newInteraction(5, who, channel, dm, src.SourceMessage, true)
	if msg != nil {
		p["message"] = msg
	}
	p["data"] = map[string]any{"custom_id": modal["custom_id"], "components": rows}
	return s.dispatchInteraction(p, in)
}

// DirectMessage dispatches MESSAGE_CREATE for a DM who typed to the bot, opening the
// DM channel if needed, and returns the message id.
func (s *Server) DirectMessage(who Actor, text string) (string, int64, error) {
	s.mu.Lock()
	ch, ok := s.dmByUser[who.User]
	if !ok {
		ch = s.snowflakeLocked()
		s.dmByUser[who.User] = ch
		s.dmUser[ch] = who.User
	}
	id := s.snowflakeLocked()
	s.mu.Unlock()
	msg := map[string]any{
		"id": id, "channel_id": ch, "type": 0, "content": text, "author": userObject(who.User),
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "edited_timestamp": nil,
		"tts": false, "mention_everyone": false, "mentions": []any{}, "mention_roles": []any{},
		"attachments": []any{}, "embeds": []any{}, "components": []any{}, "pinned": false, "flags": 0, "nonce": id,
	}
	seq, err := s.Dispatch("MESSAGE_CREATE", msg)
	return id, seq, err
}

// GuildMessage is how a person's message in a server channel or thread is shaped.
type GuildMessage struct {
	// Channel is the channel or thread id the message is posted in.
	Channel string
	Text    string
	// ReplyTo is the id of a stored message this one replies to (Discord's reply feature).
	ReplyTo string
	// NoPing turns off "ping on reply": the replied-to author is then not mentioned.
	NoPing bool
}

// ChannelMessage dispatches MESSAGE_CREATE for a message who typed in a server channel
// or thread, shaped as Discord sends it: the guild id and a partial member, the users
// the text mentions (and, for a reply with ping, the replied-to author), the replied-to
// message, and an empty content unless the client identified with the privileged
// MESSAGE_CONTENT intent or the message mentions the bot (Discord's documented
// exceptions for apps without the intent). It returns the message id.
func (s *Server) ChannelMessage(who Actor, gm GuildMessage) (string, int64, error) {
	canRead := s.gw.hasIntent(IntentMessageContent) // before s.mu: the gateway locks in the other order
	s.mu.Lock()
	guild := s.opts.Guild
	if who.Guild != "" {
		guild = who.Guild
	}
	id := s.snowflakeLocked()
	var users []string
	for _, m := range userMention.FindAllStringSubmatch(gm.Text, -1) {
		users = append(users, m[1])
	}
	var ref map[string]any
	if gm.ReplyTo != "" {
		if r, ok := s.messages[gm.ReplyTo]; ok {
			ref = clone(r)
			if a, ok := ref["author"].(map[string]any); ok && !gm.NoPing {
				if aid, ok := a["id"].(string); ok {
					users = append(users, aid)
				}
			}
		}
	}
	users = dedupe(users)
	content := gm.Text
	if !canRead && !slices.Contains(users, s.opts.AppID) {
		content = ""
	}
	msg := map[string]any{
		"id": id, "channel_id": gm.Channel, "guild_id": guild, "type": 0, "content": content,
		"author": userObject(who.User), "timestamp": time.Now().UTC().Format(time.RFC3339Nano), "edited_timestamp": nil,
		"member": map[string]any{"roles": []any{}, "joined_at": time.Now().UTC().Format(time.RFC3339Nano), "deaf": false, "mute": false, "flags": 0},
		"tts":    false, "mention_everyone": false, "mentions": userList(users), "mention_roles": []any{},
		"attachments": []any{}, "embeds": []any{}, "components": []any{}, "pinned": false, "flags": 0, "nonce": id,
	}
	if ref != nil {
		msg["type"] = 19
		msg["message_reference"] = map[string]any{"type": 0, "message_id": gm.ReplyTo, "channel_id": gm.Channel, "guild_id": guild}
		msg["referenced_message"] = ref
	}
	// Kept (with its full text) so a test can press or reply to it, like any message.
	stored := clone(msg)
	stored["content"] = gm.Text
	s.messages[id] = stored
	s.channelMsgs[gm.Channel] = append(s.channelMsgs[gm.Channel], id)
	s.mu.Unlock()
	seq, err := s.Dispatch("MESSAGE_CREATE", msg)
	return id, seq, err
}

// findComponent returns the component with customID in a message object.
func findComponent(msg map[string]any, customID string) map[string]any {
	rows, _ := msg["components"].([]any)
	for _, r := range rows {
		row, _ := r.(map[string]any)
		cs, _ := row["components"].([]any)
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			if cm["custom_id"] == customID {
				return cm
			}
		}
	}
	return nil
}

// Buttons returns the buttons of a message object by label, with their custom_id and
// whether they are disabled.
func Buttons(msg map[string]any) []Button {
	var out []Button
	rows, _ := msg["components"].([]any)
	for _, r := range rows {
		row, _ := r.(map[string]any)
		cs, _ := row["components"].([]any)
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			if intOf(cm["type"]) != 2 {
				continue
			}
			label, _ := cm["label"].(string)
			id, _ := cm["custom_id"].(string)
			dis, _ := cm["disabled"].(bool)
			out = append(out, Button{Label: label, CustomID: id, Disabled: dis, Style: intOf(cm["style"])})
		}
	}
	return out
}

// Button is one button of a message.
type Button struct {
	Label    string
	CustomID string
	Disabled bool
	Style    int
}

// Selects returns the select menus of a message object.
func Selects(msg map[string]any) []map[string]any {
	var out []map[string]any
	rows, _ := msg["components"].([]any)
	for _, r := range rows {
		row, _ := r.(map[string]any)
		cs, _ := row["components"].([]any)
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			if intOf(cm["type"]) == 3 {
				out = append(out, cm)
			}
		}
	}
	return out
}

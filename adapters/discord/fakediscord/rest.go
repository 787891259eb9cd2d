package fakediscord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

var apiPrefix = regexp.MustCompile(`^/api/v\d+`)

// serveREST records the request, applies rate limits and injected faults, and answers.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	path := apiPrefix.ReplaceAllString(r.URL.Path, "")
	body, files, err := readBody(r)
	rec := Request{
		Time: time.Now(), Method: r.Method, Path: path, Query: r.URL.Query(),
		Body: body, Files: files, Auth: r.Header.Get("Authorization"),
	}
	var status int
	var resp []byte
	hdr := http.Header{}
	if err != nil {
		status, resp = errorBody(http.StatusBadRequest, 50035, "Invalid Form Body: "+err.Error())
	} else {
		status, resp = s.answer(rec, hdr)
	}

	s.mu.Lock()
	s.seq++
	rec.Seq = s.seq
	rec.Status = status
	rec.Response = resp
	s.reqs = append(s.reqs, rec)
	s.notifyLocked()
	s.mu.Unlock()

	for k, vs := range hdr {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(resp)
}

func readBody(r *http.Request) ([]byte, []string, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		b, err := io.ReadAll(r.Body)
		return b, nil, err
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var payload []byte
	var files []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, err
		}
		if p.FormName() == "payload_json" {
			payload = b
			continue
		}
		if p.FileName() != "" {
			files = append(files, p.FileName())
		}
	}
	return payload, files, nil
}

func errorBody(status, code int, msg string) (int, []byte) {
	b, _ := json.Marshal(apiError{Code: code, Message: msg})
	return status, b
}

func jsonBody(status int, v any) (int, []byte) {
	b, _ := json.Marshal(v)
	return status, b
}

// botRoute reports whether a path counts against the bot's global rate limit.
// Interaction callbacks and webhook-token requests do not.
func botRoute(path string) bool {
	return !strings.HasPrefix(path, "/interactions/") && !strings.HasPrefix(path, "/webhooks/")
}

// routeKey names the rate-limit bucket of a request: method plus path with the
// message id dropped (Discord buckets by route and major parameter).
func routeKey(method, path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) >= 4 && parts[0] == "channels" && parts[2] == "messages" {
		parts[3] = "{id}"
	}
	return method + " /" + strings.Join(parts, "/")
}

func (s *Server) answer(rec Request, hdr http.Header) (int, []byte) {
	bot := botRoute(rec.Path)
	if bot && strings.TrimPrefix(rec.Auth, "Bot ") != s.opts.Token {
		return errorBody(http.StatusUnauthorized, 0, "401: Unauthorized")
	}
	if st, b, limited := s.limit(rec, bot, hdr); limited {
		return st, b
	}
	return s.route(rec)
}

func (s *Server) route(rec Request) (int, []byte) {
	p := strings.Split(strings.Trim(rec.Path, "/"), "/")
	m := rec.Method
	switch {
	case m == "GET" && (rec.Path == "/gateway" || rec.Path == "/gateway/bot"):
		return jsonBody(200, map[string]any{
			"url": s.gw.url(), "shards": 1,
			"session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
		})
	case m == "GET" && rec.Path == "/users/@me":
		return jsonBody(200, s.botUser())
	case m == "GET" && rec.Path == "/oauth2/applications/@me":
		return jsonBody(200, map[string]any{"id": s.opts.AppID, "name": "Kring", "bot_public": false, "flags": 0, "bot": s.botUser()})
	case m == "POST" && rec.Path == "/users/@me/channels":
		return s.openDM(rec)
	case len(p) == 3 && p[0] == "channels" && p[2] == "messages" && m == "POST":
		return s.postMessage(p[1], rec)
	case len(p) == 4 && p[0] == "channels" && p[2] == "messages" && m == "PATCH":
		return s.editMessage(p[1], p[3], rec)
	case len(p) == 3 && p[0] == "channels" && p[2] == "threads" && m == "POST":
		return s.startThread(p[1], rec)
	case len(p) == 5 && p[0] == "applications" && p[2] == "guilds" && p[4] == "commands":
		return s.guildCommands(p[1], p[3], rec)
	case len(p) == 4 && p[0] == "interactions" && p[3] == "callback" && m == "POST":
		return s.callback(p[1], p[2], rec)
	case len(p) == 3 && p[0] == "webhooks" && m == "POST":
		return s.followUp(p[1], p[2], rec)
	case len(p) == 5 && p[0] == "webhooks" && p[3] == "messages" && m == "PATCH":
		return s.editWebhookMessage(p[1], p[2], p[4], rec)
	case len(p) == 5 && p[0] == "webhooks" && p[3] == "messages" && m == "DELETE":
		return s.deleteWebhookMessage(p[1], p[2], p[4])
	}
	return errorBody(http.StatusNotFound, 0, "404: Not Found")
}

func (s *Server) botUser() map[string]any {
	return map[string]any{
		"id": s.opts.AppID, "username": "Kring", "discriminator": "0", "global_name": nil,
		"avatar": nil, "bot": true, "verified": true, "flags": 0, "mfa_enabled": false,
	}
}

func userObject(id string) map[string]any {
	name := "user" + id
	if len(id) > 4 {
		name = "user" + id[len(id)-4:]
	}
	return map[string]any{
		"id": id, "username": name, "discriminator": "0", "global_name": name,
		"avatar": nil, "public_flags": 0,
	}
}

func (s *Server) openDM(rec Request) (int, []byte) {
	var body struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.Unmarshal(rec.Body, &body); err != nil || body.RecipientID == "" {
		return errorBody(400, 50035, "Invalid Form Body: recipient_id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.dmByUser[body.RecipientID]
	if !ok {
		ch = s.snowflakeLocked()
		s.dmByUser[body.RecipientID] = ch
		s.dmUser[ch] = body.RecipientID
	}
	return jsonBody(200, s.dmChannelObject(ch, body.RecipientID))
}

func (s *Server) dmChannelObject(ch, user string) map[string]any {
	return map[string]any{
		"id": ch, "type": 1, "last_message_id": nil, "flags": 0,
		"recipients": []any{userObject(user)},
	}
}

// knownChannelLocked reports whether messages can be posted to ch, and the guild it belongs to.
func (s *Server) knownChannelLocked(ch string) (guild string, ok bool) {
	if _, dm := s.dmUser[ch]; dm {
		return "", true
	}
	if _, th := s.threads[ch]; th {
		return s.opts.Guild, true
	}
	if len(s.opts.Channels) == 0 {
		return s.opts.Guild, true
	}
	_, ok = s.opts.Channels[ch]
	return s.opts.Guild, ok
}

func (s *Server) postMessage(ch string, rec Request) (int, []byte) {
	body := rec.JSON()
	if body == nil {
		return errorBody(400, 50109, "The request body contains invalid JSON.")
	}
	if problem := validateMessage(body, len(rec.Files)); problem == emptyMessage {
		return errorBody(400, 50006, emptyMessage)
	} else if problem != "" {
		return errorBody(400, 50035, "Invalid Form Body: "+problem)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// With enforce_nonce, a nonce seen in the last few minutes answers with the message
	// it created, and no new one is made (Discord's create-message deduplication).
	nonce, _ := body["nonce"].(string)
	enforce, _ := body["enforce_nonce"].(bool)
	if enforce && nonce != "" {
		if n, ok := s.nonces[nonce]; ok && time.Since(n.at) < NonceWindow {
			s.nonceHits++
			return jsonBody(200, s.messages[n.id])
		}
	}
	guild, ok := s.knownChannelLocked(ch)
	if !ok {
		return errorBody(404, 10003, "Unknown Channel")
	}
	if u, dm := s.dmUser[ch]; dm && s.refuseDM[u] {
		return errorBody(403, 50007, "Cannot send messages to this user")
	}
	flags := intOf(body["flags"])
	if flags&64 != 0 {
		return errorBody(400, 50035, "Invalid Form Body: flags: ephemeral messages need an interaction")
	}
	msg := s.newMessageLocked(ch, guild, body, flags, rec.Files, "")
	if nonce != "" {
		msg["nonce"] = nonce
		if enforce {
			s.nonces[nonce] = nonceEntry{id: msg["id"].(string), at: time.Now()}
		}
	}
	return jsonBody(200, msg)
}

// emptyMessage is Discord's refusal of a message with nothing visible (code 50006).
const emptyMessage = "Cannot send an empty message"

// NonceWindow is how long the fake remembers an enforced nonce ("a few minutes" in
// Discord's documentation).
const NonceWindow = 5 * time.Minute

type nonceEntry struct {
	id string
	at time.Time
}

// NonceHits returns how many posts were answered with an earlier message because their
// enforced nonce repeated.
func (s *Server) NonceHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nonceHits
}

// newMessageLocked stores and returns a message object as Discord returns it.
func (s *Server) newMessageLocked(ch, guild string, body map[string]any, flags int, files []string, appID string) map[string]any {
	id := s.snowflakeLocked()
	content, _ := body["content"].(string)
	components := body["components"]
	if components == nil {
		components = []any{}
	}
	var attachments []any
	for _, f := range files {
		attachments = append(attachments, map[string]any{
			"id": s.snowflakeLocked(), "filename": f, "size": 0,
			"url": "https://cdn.discordapp.com/attachments/" + ch + "/" + f, "proxy_url": "",
		})
	}
	if attachments == nil {
		attachments = []any{}
	}
	pings := mentionsOf(content, body["allowed_mentions"])
	msg := map[string]any{
		"id": id, "channel_id": ch, "type": 0, "content": content,
		"author": s.botUser(), "timestamp": time.Now().UTC().Format(time.RFC3339Nano),
		"edited_timestamp": nil, "tts": false, "pinned": false,
		"mention_everyone": pings.Everyone, "mentions": userList(pings.Users), "mention_roles": strList(pings.Roles),
		"attachments": attachments, "embeds": []any{}, "components": components, "flags": flags,
	}
	if guild != "" {
		msg["guild_id"] = guild
	}
	if appID != "" {
		msg["application_id"] = appID
		msg["webhook_id"] = appID
	}
	s.messages[id] = msg
	s.channelMsgs[ch] = append(s.channelMsgs[ch], id)
	return msg
}

func userList(ids []string) []any {
	out := []any{}
	for _, id := range ids {
		out = append(out, userObject(id))
	}
	return out
}

func strList(ids []string) []any {
	out := []any{}
	for _, id := range ids {
		out = append(out, id)
	}
	return out
}

// applyEditLocked applies the fields present in body to a stored message.
func (s *Server) applyEditLocked(msg map[string]any, body map[string]any) {
	if c, ok := body["content"]; ok {
		msg["content"] = c
	}
	if c, ok := body["components"]; ok && c != nil {
		msg["components"] = c
	}
	content, _ := msg["content"].(string)
	pings := mentionsOf(content, body["allowed_mentions"])
	msg["mention_everyone"] = pings.Everyone
	msg["mentions"] = userList(pings.Users)
	msg["mention_roles"] = strList(pings.Roles)
	msg["edited_timestamp"] = time.Now().UTC().Format(time.RFC3339Nano)
}

func (s *Server) editMessage(ch, id string, rec Request) (int, []byte) {
	body := rec.JSON()
	if body == nil {
		return errorBody(400, 50109, "The request body contains invalid JSON.")
	}
	if problem := validateMessage(body, len(rec.Files)); problem != "" && !strings.Contains(problem, "empty") {
		return errorBody(400, 50035, "Invalid Form Body: "+problem)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, ok := s.messages[id]
	if !ok || msg["channel_id"] != ch {
		return errorBody(404, 10008, "Unknown Message")
	}
	s.applyEditLocked(msg, body)
	return jsonBody(200, msg)
}

func (s *Server) startThread(ch string, rec Request) (int, []byte) {
	body := rec.JSON()
	name, _ := body["name"].(string)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return errorBody(400, 50035, "Invalid Form Body: name must be 1-100 characters")
	}
	typ := intOf(body["type"])
	if typ == 0 {
		typ = 12 // Discord's default for a thread without a message is private
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.knownChannelLocked(ch); !ok {
		return errorBody(404, 10003, "Unknown Channel")
	}
	id := s.snowflakeLocked()
	th := map[string]any{
		"id": id, "type": typ, "guild_id": s.opts.Guild, "parent_id": ch, "name": name,
		"owner_id": s.opts.AppID, "message_count": 0, "member_count": 1, "flags": 0,
		"thread_metadata": map[string]any{"archived": false, "auto_archive_duration": intOf(body["auto_archive_duration"]), "locked": false},
	}
	s.threads[id] = th
	return jsonBody(201, th)
}

// ThreadsOf returns the threads started in channel.
func (s *Server) ThreadsOf(channel string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, th := range s.threads {
		if th["parent_id"] == channel {
			out = append(out, clone(th))
		}
	}
	return out
}

var commandName = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

func (s *Server) guildCommands(app, guild string, rec Request) (int, []byte) {
	if app != s.opts.AppID {
		return errorBody(403, 50001, "Missing Access")
	}
	if guild != s.opts.Guild {
		return errorBody(403, 50001, "Missing Access")
	}
	switch rec.Method {
	case "GET":
		s.mu.Lock()
		defer s.mu.Unlock()
		return jsonBody(200, s.commands[guild])
	case "PUT":
	default:
		return errorBody(405, 0, "405: Method Not Allowed")
	}
	var cmds []map[string]any
	if err := json.Unmarshal(rec.Body, &cmds); err != nil {
		return errorBody(400, 50109, "The request body contains invalid JSON.")
	}
	if len(cmds) > 100 {
		return errorBody(400, 30032, "Maximum number of application commands reached (100)")
	}
	seen := map[string]bool{}
	for i, c := range cmds {
		if p := validateCommand(c); p != "" {
			return errorBody(400, 50035, fmt.Sprintf("Invalid Form Body: %d.%s", i, p))
		}
		name := c["name"].(string)
		if seen[name] {
			return errorBody(400, 50035, "Invalid Form Body: APPLICATION_COMMANDS_DUPLICATE_NAME "+name)
		}
		seen[name] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, c := range cmds {
		key := guild + "|" + c["name"].(string)
		id, ok := s.commandIDs[key]
		if !ok {
			id = s.snowflakeLocked()
			s.commandIDs[key] = id
		}
		c["id"] = id
		c["application_id"] = app
		c["guild_id"] = guild
		c["version"] = id
		if c["type"] == nil {
			c["type"] = 1
		}
		out = append(out, c)
	}
	s.commands[guild] = out
	return jsonBody(200, out)
}

// validateCommand checks a command the way Discord does for the fields Kring uses.
func validateCommand(c map[string]any) string {
	name, _ := c["name"].(string)
	if !commandName.MatchString(name) || strings.ToLower(name) != name {
		return "name: invalid command name " + strconv.Quote(name)
	}
	if problem := validateLocalized("name", c["name_localizations"], 32, true); problem != "" {
		return problem
	}
	desc, _ := c["description"].(string)
	if n := utf8.RuneCountInString(desc); n < 1 || n > 100 {
		return "description: must be 1-100 characters"
	}
	if problem := validateLocalized("description", c["description_localizations"], 100, false); problem != "" {
		return problem
	}
	opts, _ := c["options"].([]any)
	if len(opts) > 25 {
		return "options: at most 25"
	}
	optional := false
	for i, o := range opts {
		om, _ := o.(map[string]any)
		on, _ := om["name"].(string)
		if !commandName.MatchString(on) || strings.ToLower(on) != on {
			return fmt.Sprintf("options.%d.name: invalid %q", i, on)
		}
		od, _ := om["description"].(string)
		if n := utf8.RuneCountInString(od); n < 1 || n > 100 {
			return fmt.Sprintf("options.%d.description: must be 1-100 characters", i)
		}
		if problem := validateLocalized(fmt.Sprintf("options.%d.description", i), om["description_localizations"], 100, false); problem != "" {
			return problem
		}
		req, _ := om["required"].(bool)
		if req && optional {
			return fmt.Sprintf("options.%d.required: APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID: required options must be placed before non-required options", i)
		}
		if !req {
			optional = true
		}
		if ch, _ := om["choices"].([]any); len(ch) > 25 {
			return fmt.Sprintf("options.%d.choices: at most 25", i)
		}
	}
	return ""
}

var discordLocales = map[string]bool{
	"id": true, "da": true, "de": true, "en-GB": true, "en-US": true, "es-ES": true, "es-419": true,
	"fr": true, "hr": true, "it": true, "lt": true, "hu": true, "nl": true, "no": true, "pl": true,
	"pt-BR": true, "ro": true, "fi": true, "sv-SE": true, "vi": true, "tr": true, "cs": true,
	"el": true, "bg": true, "ru": true, "uk": true, "hi": true, "th": true, "zh-CN": true,
	"ja": true, "zh-TW": true, "ko": true,
}

func validateLocalized(field string, v any, max int, isName bool) string {
	if v == nil {
		return ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return field + "_localizations: must be an object"
	}
	for loc, x := range m {
		if !discordLocales[loc] {
			return fmt.Sprintf("%s_localizations: invalid locale %q", field, loc)
		}
		s, _ := x.(string)
		if n := utf8.RuneCountInString(s); n < 1 || n > max {
			return fmt.Sprintf("%s_localizations.%s: must be 1-%d characters", field, loc, max)
		}
		if isName && (!commandName.MatchString(s) || strings.ToLower(s) != s) {
			return fmt.Sprintf("%s_localizations.%s: invalid name %q", field, loc, s)
		}
	}
	return ""
}

// validateMessage checks content length and component limits as Discord does.
func validateMessage(body map[string]any, files int) string {
	content, _ := body["content"].(string)
	if utf8.RuneCountInString(content) > 2000 {
		return "content: Must be 2000 or fewer in length."
	}
	rows, _ := body["components"].([]any)
	if strings.TrimSpace(content) == "" && len(rows) == 0 && files == 0 {
		return emptyMessage
	}
	if n, ok := body["nonce"].(string); ok && len(n) > 25 {
		return "nonce: Must be 25 or fewer in length."
	}
	if len(rows) > 5 {
		return "components: at most 5 action rows"
	}
	ids := map[string]bool{}
	for i, r := range rows {
		row, _ := r.(map[string]any)
		if intOf(row["type"]) != 1 {
			return fmt.Sprintf("components.%d: top-level components must be action rows", i)
		}
		cs, _ := row["components"].([]any)
		if len(cs) == 0 || len(cs) > 5 {
			return fmt.Sprintf("components.%d.components: 1-5 components per row", i)
		}
		for j, c := range cs {
			cm, _ := c.(map[string]any)
			t := intOf(cm["type"])
			if t == 3 && len(cs) != 1 {
				return fmt.Sprintf("components.%d: a select menu must be alone in its row", i)
			}
			id, _ := cm["custom_id"].(string)
			if id == "" || len(id) > 100 {
				return fmt.Sprintf("components.%d.components.%d.custom_id: must be 1-100 characters", i, j)
			}
			if ids[id] {
				return fmt.Sprintf("components.%d.components.%d.custom_id: COMPONENT_CUSTOM_ID_DUPLICATED", i, j)
			}
			ids[id] = true
			switch t {
			case 2:
				label, _ := cm["label"].(string)
				if utf8.RuneCountInString(label) > 80 {
					return fmt.Sprintf("components.%d.components.%d.label: at most 80 characters", i, j)
				}
			case 3:
				opts, _ := cm["options"].([]any)
				if len(opts) < 1 || len(opts) > 25 {
					return fmt.Sprintf("components.%d.components.%d.options: 1-25 options", i, j)
				}
				vals := map[string]bool{}
				for k, o := range opts {
					om, _ := o.(map[string]any)
					v, _ := om["value"].(string)
					l, _ := om["label"].(string)
					if v == "" || len(v) > 100 || l == "" || utf8.RuneCountInString(l) > 100 {
						return fmt.Sprintf("components.%d.components.%d.options.%d: label and value 1-100 characters", i, j, k)
					}
					if vals[v] {
						return fmt.Sprintf("components.%d.components.%d.options.%d.value: duplicated", i, j, k)
					}
					vals[v] = true
				}
			default:
				return fmt.Sprintf("components.%d.components.%d.type: %d not allowed in messages", i, j, t)
			}
		}
	}
	return ""
}

func validateModal(d map[string]any) string {
	title, _ := d["title"].(string)
	if n := utf8.RuneCountInString(title); n < 1 || n > 45 {
		return "data.title: must be 1-45 characters"
	}
	id, _ := d["custom_id"].(string)
	if id == "" || len(id) > 100 {
		return "data.custom_id: must be 1-100 characters"
	}
	rows, _ := d["components"].([]any)
	if len(rows) < 1 || len(rows) > 5 {
		return "data.components: 1-5 rows"
	}
	for i, r := range rows {
		row, _ := r.(map[string]any)
		cs, _ := row["components"].([]any)
		if intOf(row["type"]) != 1 || len(cs) != 1 {
			return fmt.Sprintf("data.components.%d: one text input per action row", i)
		}
		c, _ := cs[0].(map[string]any)
		if intOf(c["type"]) != 4 {
			return fmt.Sprintf("data.components.%d: only text inputs", i)
		}
		label, _ := c["label"].(string)
		if n := utf8.RuneCountInString(label); n < 1 || n > 45 {
			return fmt.Sprintf("data.components.%d.label: must be 1-45 characters", i)
		}
		if ml := intOf(c["max_length"]); ml > 4000 {
			return fmt.Sprintf("data.components.%d.max_length: at most 4000", i)
		}
	}
	return ""
}

func intOf(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case int:
		return x
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	case string:
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}

// callback answers POST /interactions/{id}/{token}/callback.
func (s *Server) callback(id, token string, rec Request) (int, []byte) {
	var body struct {
		Type int            `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(rec.Body, &body); err != nil {
		return errorBody(400, 50109, "The request body contains invalid JSON.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.interactions[id]
	if !ok || in.Token != token || in.Expired || s.opts.Now().Sub(in.Created) > 15*time.Minute {
		return errorBody(404, 10062, "Unknown interaction")
	}
	if in.Acked != 0 {
		return errorBody(400, 40060, "Interaction has already been acknowledged.")
	}
	flags := intOf(body.Data["flags"])
	switch body.Type {
	case 4:
		if problem := validateMessage(body.Data, 0); problem != "" {
			return errorBody(400, 50035, "Invalid Form Body: data."+problem)
		}
		msg := s.newMessageLocked(in.Channel, s.guildOfLocked(in.Channel), body.Data, flags, nil, s.opts.AppID)
		in.Original = msg["id"].(string)
	case 5:
		msg := s.newMessageLocked(in.Channel, s.guildOfLocked(in.Channel), map[string]any{"content": ""}, flags|128, nil, s.opts.AppID)
		in.Original = msg["id"].(string)
		in.Loading = true
		in.AckFlags = flags
	case 6, 7:
		if in.SourceMessage == "" {
			return errorBody(400, 50035, "Invalid Form Body: type: interaction response type only valid for component-based interactions")
		}
		if body.Type == 7 {
			if problem := validateMessage(body.Data, 0); problem != "" && !strings.Contains(problem, "empty") {
				return errorBody(400, 50035, "Invalid Form Body: data."+problem)
			}
			if msg, ok := s.messages[in.SourceMessage]; ok {
				s.applyEditLocked(msg, body.Data)
			}
		}
	case 9:
		if in.modalSubmit {
			return errorBody(400, 50035, "Invalid Form Body: type: a modal cannot answer a modal submit")
		}
		if problem := validateModal(body.Data); problem != "" {
			return errorBody(400, 50035, "Invalid Form Body: "+problem)
		}
		s.modals[id] = body.Data
	default:
		return errorBody(400, 50035, fmt.Sprintf("Invalid Form Body: type: %d not supported here", body.Type))
	}
	in.Acked = body.Type
	return http.StatusNoContent, nil
}

func (s *Server) guildOfLocked(ch string) string {
	if _, dm := s.dmUser[ch]; dm {
		return ""
	}
	return s.opts.Guild
}

func (s *Server) tokenLocked(app, token string) (*interaction, int, []byte) {
	in, ok := s.byToken[token]
	if app != s.opts.AppID || !ok {
		st, b := errorBody(404, 10015, "Unknown Webhook")
		return nil, st, b
	}
	if in.Expired || s.opts.Now().Sub(in.Created) > 15*time.Minute {
		st, b := errorBody(401, 50027, "Invalid Webhook Token")
		return nil, st, b
	}
	if in.Acked == 0 {
		st, b := errorBody(404, 10015, "Unknown Webhook")
		return nil, st, b
	}
	return in, 0, nil
}

// followUp answers POST /webhooks/{app}/{token}: a follow-up message. The first
// follow-up after a type 5 deferral resolves the loading message and keeps its
// ephemerality, as Discord does.
func (s *Server) followUp(app, token string, rec Request) (int, []byte) {
	body := rec.JSON()
	if body == nil {
		return errorBody(400, 50109, "The request body contains invalid JSON.")
	}
	if problem := validateMessage(body, len(rec.Files)); problem != "" {
		return errorBody(400, 50035, "Invalid Form Body: "+problem)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, st, b := s.tokenLocked(app, token)
	if in == nil {
		return st, b
	}
	var msg map[string]any
	if in.Loading {
		in.Loading = false
		msg = s.messages[in.Original]
		s.applyEditLocked(msg, body)
		msg["flags"] = in.AckFlags
		if len(rec.Files) > 0 {
			msg["attachments"] = fileList(rec.Files)
		}
	} else {
		msg = s.newMessageLocked(in.Channel, s.guildOfLocked(in.Channel), body, intOf(body["flags"])&(64|4), rec.Files, app)
	}
	if rec.Query.Get("wait") != "true" {
		return http.StatusNoContent, nil
	}
	return jsonBody(200, msg)
}

func fileList(files []string) []any {
	out := []any{}
	for _, f := range files {
		out = append(out, map[string]any{"filename": f})
	}
	return out
}

func (s *Server) editWebhookMessage(app, token, id string, rec Request) (int, []byte) {
	body := rec.JSON()
	if body == nil {
		return errorBody(400, 50109, "The request body contains invalid JSON.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, st, b := s.tokenLocked(app, token)
	if in == nil {
		return st, b
	}
	if id == "@original" {
		id = in.Original
		in.Loading = false
	}
	msg, ok := s.messages[id]
	if !ok {
		return errorBody(404, 10008, "Unknown Message")
	}
	s.applyEditLocked(msg, body)
	return jsonBody(200, msg)
}

// deleteWebhookMessage answers DELETE /webhooks/{app}/{token}/messages/{id}; deleting
// @original of a deferred reply removes its "thinking…" message.
func (s *Server) deleteWebhookMessage(app, token, id string) (int, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, st, b := s.tokenLocked(app, token)
	if in == nil {
		return st, b
	}
	if id == "@original" {
		id = in.Original
		in.Loading = false
	}
	msg, ok := s.messages[id]
	if !ok {
		return errorBody(404, 10008, "Unknown Message")
	}
	delete(s.messages, id)
	ch, _ := msg["channel_id"].(string)
	ids := s.channelMsgs[ch]
	for i, m := range ids {
		if m == id {
			s.channelMsgs[ch] = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
	return http.StatusNoContent, nil
}

// Unresolved returns the ids of interactions deferred with type 5 whose "thinking…"
// message was neither followed up nor deleted while their token lived: Discord shows
// "The application did not respond" on them. A test that expires a token on purpose
// (ExpireInteraction, or moving the clock past 15 minutes) is not counted.
func (s *Server) Unresolved() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, in := range s.interactions {
		if in.Loading && !in.Expired && s.opts.Now().Sub(in.Created) <= 15*time.Minute {
			out = append(out, id)
		}
	}
	return out
}

// --- rate limits and faults ---

// Fault is an injected failure for matching requests.
type Fault struct {
	// Method and Path select requests (Path as in Route: "*" matches one segment).
	Method string
	Path   string
	// Status is the HTTP status to answer with: 429, 500, 502, 503, 403 ...
	Status int
	// Code and Message form Discord's JSON error body (ignored for 429).
	Code    int
	Message string
	// RetryAfter is the 429 retry_after (and the Retry-After header of a 5xx when set).
	RetryAfter time.Duration
	// Global makes a 429 a global rate limit.
	Global bool
	// Every fires on every Nth matching request (0 or 1: each one).
	Every int
	// Times stops the fault after it fired this often (0: no limit).
	Times int
	// Bare makes a 429 what Cloudflare answers when it bans the IP: no X-RateLimit-*
	// headers, only Retry-After when RetryAfter is set, and a body without retry_after.
	Bare bool
	// Hold, when set, makes matching requests wait until it is closed before they are
	// answered normally (a slow Discord). Status is ignored then.
	Hold <-chan struct{}
}

type fault struct {
	Fault
	seen, fired int
}

// Inject adds a fault. Faults are checked in the order added; the first that fires answers.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{Fault: f})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

type bucket struct {
	remaining int
	reset     time.Time
}

// limit applies early-retry detection, injected faults, the global limit and the
// route bucket. It answers (status, body, true) when the request is refused.
func (s *Server) limit(rec Request, bot bool, hdr http.Header) (int, []byte, bool) {
	now := rec.Time
	key := routeKey(rec.Method, rec.Path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if until, ok := s.blocked[key]; ok && now.Before(until) {
		s.violations = append(s.violations, Violation{Path: rec.Path, Reason: fmt.Sprintf("retried %s before its Retry-After ended", until.Sub(now)), Time: now})
	}
	if bot && now.Before(s.blockedAll) {
		// Requests already on their way when the 429 went out are not the client's fault.
		if now.Sub(s.globalSince) > s.opts.InFlightGrace {
			s.violations = append(s.violations, Violation{Path: rec.Path, Reason: fmt.Sprintf("request %s before the global Retry-After ended", s.blockedAll.Sub(now)), Time: now})
		}
		st, b := s.tooManyLocked(key, now, s.blockedAll.Sub(now), true, hdr)
		return st, b, true
	}
	for _, f := range s.faults {
		if (f.Method != "" && f.Method != rec.Method) || !pathMatch(f.Path, rec.Path) {
			continue
		}
		if f.Times > 0 && f.fired >= f.Times {
			continue
		}
		f.seen++
		if f.Every > 1 && f.seen%f.Every != 0 {
			continue
		}
		f.fired++
		if f.Hold != nil {
			hold := f.Hold
			s.mu.Unlock()
			<-hold
			s.mu.Lock()
			break
		}
		if f.Status == 429 && f.Bare {
			if f.RetryAfter > 0 {
				hdr.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
			}
			st, b := errorBody(http.StatusTooManyRequests, 0, "You are being blocked from accessing our API temporarily due to exceeding our rate limits frequently.")
			return st, b, true
		}
		if f.Status == 429 {
			st, b := s.tooManyLocked(key, now, f.RetryAfter, f.Global, hdr)
			return st, b, true
		}
		if f.RetryAfter > 0 {
			hdr.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
		}
		msg := f.Message
		if msg == "" {
			msg = http.StatusText(f.Status)
		}
		st, b := errorBody(f.Status, f.Code, msg)
		return st, b, true
	}
	if bot && s.opts.GlobalLimit > 0 {
		cut := now.Add(-time.Second)
		keep := s.window[:0]
		for _, t := range s.window {
			if t.After(cut) {
				keep = append(keep, t)
			}
		}
		s.window = keep
		if len(s.window) >= s.opts.GlobalLimit {
			strict := 0
			for _, t := range s.window {
				if t.After(cut.Add(s.opts.ArrivalJitter)) {
					strict++
				}
			}
			if strict >= s.opts.GlobalLimit {
				s.violations = append(s.violations, Violation{Path: rec.Path, Reason: fmt.Sprintf("over the global limit of %d requests/s", s.opts.GlobalLimit), Time: now})
			}
			st, b := s.tooManyLocked(key, now, s.window[0].Add(time.Second).Sub(now), true, hdr)
			return st, b, true
		}
		s.window = append(s.window, now)
	}
	if s.opts.RouteLimit > 0 && rec.Method == "POST" && strings.HasSuffix(rec.Path, "/messages") && strings.HasPrefix(rec.Path, "/channels/") {
		b := s.buckets[key]
		if b == nil || !now.Before(b.reset) {
			b = &bucket{remaining: s.opts.RouteLimit, reset: now.Add(s.opts.RouteWindow)}
			s.buckets[key] = b
		}
		if b.remaining <= 0 {
			s.violations = append(s.violations, Violation{Path: rec.Path, Reason: "over the route limit after X-RateLimit-Remaining: 0", Time: now})
			st, body := s.tooManyLocked(key, now, b.reset.Sub(now), false, hdr)
			return st, body, true
		}
		b.remaining--
		after := b.reset.Sub(now)
		hdr.Set("X-RateLimit-Limit", strconv.Itoa(s.opts.RouteLimit))
		hdr.Set("X-RateLimit-Remaining", strconv.Itoa(b.remaining))
		hdr.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(b.reset.UnixMilli())/1000))
		hdr.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", after.Seconds()))
		hdr.Set("X-RateLimit-Bucket", bucketHash(key))
	}
	return 0, nil, false
}

// tooManyLocked builds a 429 answer and remembers until when the client must wait.
func (s *Server) tooManyLocked(key string, now time.Time, after time.Duration, global bool, hdr http.Header) (int, []byte) {
	after = after.Round(time.Millisecond)
	if after <= 0 {
		after = time.Millisecond
	}
	until := now.Add(after)
	hdr.Set("Retry-After", strconv.Itoa(int(math.Ceil(after.Seconds()))))
	if global {
		if until.After(s.blockedAll) {
			if !now.Before(s.blockedAll) {
				s.globalSince = now
			}
			s.blockedAll = until
		}
		hdr.Set("X-RateLimit-Global", "true")
		hdr.Set("X-RateLimit-Scope", "global")
	} else {
		if until.After(s.blocked[key]) {
			s.blocked[key] = until
		}
		hdr.Set("X-RateLimit-Limit", "5")
		hdr.Set("X-RateLimit-Remaining", "0")
		hdr.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(until.UnixMilli())/1000))
		hdr.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", after.Seconds()))
		hdr.Set("X-RateLimit-Bucket", bucketHash(key))
		hdr.Set("X-RateLimit-Scope", "user")
	}
	b, _ := json.Marshal(map[string]any{
		"message": "You are being rate limited.", "retry_after": after.Seconds(), "global": global,
	})
	return http.StatusTooManyRequests, b
}

func bucketHash(key string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return fmt.Sprintf("%08x", h)
}

// compact re-encodes JSON without spaces (for readable test failures).
func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

// String renders a request for test logs.
func (r Request) String() string {
	return fmt.Sprintf("#%d %s %s -> %d %s", r.Seq, r.Method, r.Path, r.Status, compact(r.Body))
}

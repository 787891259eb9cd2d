package discord

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/guard"
	"github.com/kring-school/kring/bot/i18n"
)

// cacheTTL is how long form and long-choice entries stay in the KV: long enough for a
// pupil to answer a message from last week, short enough not to pile up.
const cacheTTL = 30 * 24 * time.Hour

// idTTL is how long DM channel and thread ids stay cached. A DM channel id does not
// change, but a person who leaves the school must not leave a key behind for ever;
// opening the DM again costs one request.
const idTTL = 90 * 24 * time.Hour

// minRetry is the shortest pause Kring asks the outbox for, so even a Retry-After of 0
// never becomes a tight loop.
const minRetry = 250 * time.Millisecond

// Discord JSON error codes Kring reacts to.
const (
	codeUnknownChannel     = 10003
	codeUnknownWebhook     = 10015
	codeUnknownInteraction = 10062
	codeCannotDM           = 50007
	codeInvalidToken       = 50027
	codeAlreadyAcked       = 40060
)

// Send implements chat.Adapter. A message with a live ReplyRef answers that interaction
// through its webhook (ephemeral when asked, in a shared channel); once the token has
// expired it goes to the person's DM instead. Other messages go to the person's DM
// (channel id cached in the KV), or to the class channel or one of its threads.
func (a *Adapter) Send(ctx context.Context, d chat.Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m := d.Message
	if m.Home {
		return nil // Discord has no per-person page (the Engine queues none for it)
	}
	if ref, ok := parseRef(m.ReplyRef); ok {
		if a.clock.Now().Sub(ref.at) < replyWindow {
			err := a.followUp(ctx, ref, m, d.Address.User)
			if !tokenDead(err) {
				return err
			}
			a.log.Info("interaction token no longer valid; sending a direct message instead", "message", m.ID)
		}
		if d.Address.User == "" {
			return fmt.Errorf("message %s: its interaction expired and it names no user to message directly", m.ID)
		}
		return a.sendDM(ctx, d.Address.User, m)
	}
	if d.Address.User != "" {
		return a.sendDM(ctx, d.Address.User, m)
	}
	if d.Address.Channel == "" {
		return fmt.Errorf("message %s: no Discord user or channel to send to", m.ID)
	}
	if m.Staff {
		return fmt.Errorf("message %s is for staff eyes only; not posting it in channel %s", m.ID, d.Address.Channel)
	}
	if m.Ephemeral {
		return fmt.Errorf("message %s: a private message in channel %s needs an interaction to answer, and has none", m.ID, d.Address.Channel)
	}
	ch := d.Address.Channel
	if m.To.Kind == chat.ToThread || d.Address.Thread != "" {
		th, err := a.thread(ctx, d.Address, m.To)
		if err != nil {
			return err
		}
		ch = th
	}
	return a.post(ctx, ch, m, a.channelLocalizer(d.Address.Channel))
}

// sendDM posts m in user's DM channel, opening it (once, then cached) when needed.
func (a *Adapter) sendDM(ctx context.Context, user string, m chat.Message) error {
	m.Ephemeral = false // a DM is private already; ephemeral DM messages vanish on reload
	loc := a.localizer(user, "")
	ch, cached, err := a.dmChannel(ctx, user)
	if err != nil {
		return err
	}
	err = a.post(ctx, ch, m, loc)
	if cached && isCode(err, codeUnknownChannel) {
		// The cached channel is gone (it should not be, but Discord decides): open anew.
		a.dms.Delete(user)
		if serr := a.kv.Set(ctx, dmKey(user), "", time.Second); serr != nil {
			a.log.Warn("forget DM channel", "err", serr)
		}
		if ch, _, err = a.dmChannel(ctx, user); err != nil {
			return err
		}
		err = a.post(ctx, ch, m, loc)
	}
	return err
}

func dmKey(user string) string { return "dm:" + user }

// dmChannel returns user's DM channel id from memory, the KV, or by opening it. cached
// tells whether it came from a cache.
func (a *Adapter) dmChannel(ctx context.Context, user string) (string, bool, error) {
	if v, ok := a.dms.Load(user); ok {
		return v.(string), true, nil
	}
	ch, ok, err := a.kv.Get(ctx, dmKey(user))
	if err != nil {
		// Opening a DM again costs one request; failing the message would cost more.
		a.log.Warn("read DM channel cache", "err", err)
	} else if ok && ch != "" {
		a.dms.Store(user, ch)
		return ch, true, nil
	}
	if err := a.pace(ctx, ""); err != nil {
		return "", false, err
	}
	rctx, res := withOutcome(ctx)
	c, err := a.s.UserChannelCreate(user, discordgo.WithContext(rctx))
	if err != nil {
		return "", false, res.classify(a, err, "open DM channel")
	}
	a.dms.Store(user, c.ID)
	if err := a.kv.Set(ctx, dmKey(user), c.ID, idTTL); err != nil {
		a.log.Warn("cache DM channel", "err", err)
	}
	return c.ID, false, nil
}

// threadClaim is how long one process may take to start a thread before another may.
const threadClaim = 15 * time.Second

// thread returns the Discord thread for a dialog's thread, creating it on first use.
func (a *Adapter) thread(ctx context.Context, addr chat.Address, to chat.Target) (string, error) {
	key := to.Thread
	if key == "" || key == addr.Thread {
		if digits(addr.Thread) {
			return addr.Thread, nil // the outbox already knows the Discord thread id
		}
		if key == "" {
			key = addr.Thread
		}
	}
	if key == "" {
		return "", fmt.Errorf("thread message without a thread key")
	}
	kvKey := "thread:" + addr.Channel + ":" + key
	if id, ok, err := a.kv.Get(ctx, kvKey); err != nil {
		return "", &chat.RetryError{After: 5 * time.Second, Err: fmt.Errorf("read thread cache: %w", err)}
	} else if ok && id != "" {
		return id, nil
	}
	// Two processes delivering to a new thread at once would each start one: the one
	// that claims it starts it, the other tries again when the id is cached.
	if won, err := chat.Claim(ctx, a.kv, "threadclaim:"+addr.Channel+":"+key, a.owner, threadClaim); err != nil {
		return "", &chat.RetryError{After: 5 * time.Second, Err: fmt.Errorf("claim thread: %w", err)}
	} else if !won {
		return "", &chat.RetryError{After: 2 * time.Second, Err: errors.New("another Kring process is starting this thread")}
	}
	name := strings.TrimSpace(to.ThreadTitle)
	if name == "" {
		name = key
	}
	if err := a.pace(ctx, ""); err != nil {
		return "", err
	}
	rctx, res := withOutcome(ctx)
	th, err := a.s.ThreadStartComplex(addr.Channel, &discordgo.ThreadStart{
		Name: clip(name, 100, "…"), Type: discordgo.ChannelTypeGuildPublicThread, AutoArchiveDuration: 1440,
	}, discordgo.WithContext(rctx))
	if err != nil {
		return "", res.classify(a, err, "start thread")
	}
	// The way back first: a pupil may answer in the thread as soon as it shows.
	a.threads.Store(th.ID, addr.Channel+"|"+key)
	if err := a.kv.Set(ctx, threadKeyKey(th.ID), addr.Channel+"|"+key, idTTL); err != nil {
		a.log.Warn("cache thread key", "err", err)
	}
	if err := a.kv.Set(ctx, kvKey, th.ID, idTTL); err != nil {
		a.log.Warn("cache thread id", "err", err)
	}
	return th.ID, nil
}

// outgoing is a message rendered for Discord.
type outgoing struct {
	content    string
	components []discordgo.MessageComponent
	files      []*discordgo.File
	mentions   *discordgo.MessageAllowedMentions
}

// messageSend is discordgo's MessageSend with the nonce fields discordgo v0.29 lacks.
type messageSend struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce,omitempty"`
	EnforceNonce bool   `json:"enforce_nonce,omitempty"`
}

// Nonce is the message nonce Kring sends for a logical message id: Discord allows 25
// characters, so it is a hash of the id. With enforce_nonce, Discord answers a second
// post with the same nonce (within a few minutes) with the first message instead of
// creating another: a message sent again after a lost acknowledgement is not doubled.
func Nonce(id string) string {
	h := sha256.Sum256([]byte("kring-nonce|" + id))
	return base64.RawURLEncoding.EncodeToString(h[:])[:25]
}

// post sends m to a channel, paced under the global and the channel's limit.
func (a *Adapter) post(ctx context.Context, ch string, m chat.Message, loc *i18n.Localizer) error {
	out, err := a.build(ctx, m, loc)
	if err != nil {
		return err
	}
	if err := a.pace(ctx, channelRoute(ch)); err != nil {
		return err
	}
	data := messageSend{MessageSend: &discordgo.MessageSend{
		Content: out.content, Components: out.components,
		AllowedMentions: out.mentions, Flags: discordgo.MessageFlagsSuppressEmbeds,
	}, Nonce: Nonce(m.ID), EnforceNonce: m.ID != ""}
	if m.ID == "" {
		data.Nonce = ""
	}
	endpoint := discordgo.EndpointChannelMessages(ch)
	rctx, res := withOutcome(ctx)
	if len(out.files) > 0 {
		contentType, body, encErr := discordgo.MultipartBodyWithJSON(data, out.files)
		if encErr != nil {
			return fmt.Errorf("message %s: encode files: %w", m.ID, encErr)
		}
		_, err = a.s.RequestRaw("POST", endpoint, contentType, body, endpoint, 0, discordgo.WithContext(rctx))
	} else {
		_, err = a.s.RequestWithBucketID("POST", endpoint, data, endpoint, discordgo.WithContext(rctx))
	}
	return res.classify(a, err, "send message")
}

// classify is Adapter.classify, except that a request the observer found banned or
// unauthorised becomes the *chat.PausedError it recorded.
func (o *outcome) classify(a *Adapter, err error, what string) error {
	if err == nil {
		return nil
	}
	if o.paused != nil {
		return o.paused
	}
	return a.classify(err, what)
}

// followUp answers an interaction through its webhook. Interaction webhooks are not
// bound to the bot's global rate limit, so they skip the pacer: a pupil's answer is
// not held up behind a morning fan-out.
func (a *Adapter) followUp(ctx context.Context, ref replyRef, m chat.Message, user string) error {
	app, err := a.app(ctx)
	if err != nil {
		return err
	}
	loc := a.cat.For(a.school.Locale)
	if user != "" {
		loc = a.localizer(user, "")
	}
	out, err := a.build(ctx, m, loc)
	if err != nil {
		return err
	}
	flags := discordgo.MessageFlagsSuppressEmbeds
	// A staff-only message answering a command in a channel is for the actor's eyes only.
	if (m.Ephemeral || m.Staff) && !ref.dm {
		flags |= discordgo.MessageFlagsEphemeral
	}
	if err := a.guard.Check(ctx); err != nil {
		return err
	}
	rctx, res := withOutcome(ctx)
	_, err = a.s.FollowupMessageCreate(&discordgo.Interaction{AppID: app, Token: ref.token}, true, &discordgo.WebhookParams{
		Content: out.content, Components: out.components, Files: out.files,
		AllowedMentions: out.mentions, Flags: flags,
	}, discordgo.WithContext(rctx))
	if err == nil {
		a.markFollowed(ctx, ref.token)
	}
	return res.classify(a, err, "answer interaction")
}

// build renders text, choices, form and image.
func (a *Adapter) build(ctx context.Context, m chat.Message, loc *i18n.Localizer) (outgoing, error) {
	var out outgoing
	out.content, out.mentions = content(m, a.school, a.discordID, loc.T("discord.ellipsis"))
	if strings.TrimSpace(out.content) == "" {
		out.content = "" // Discord refuses whitespace alone (50006); never send it
	}
	rows, err := a.choiceRows(ctx, m, loc)
	if err != nil {
		return out, err
	}
	if m.Form != nil {
		if len(m.Form.Fields) == 0 || len(m.Form.Fields) > 5 {
			return out, fmt.Errorf("message %s: a Discord form holds 1 to 5 fields, not %d", m.ID, len(m.Form.Fields))
		}
		hash := hashKey(m.ID, "form")
		if err := a.storeForm(ctx, hash, *m.Form); err != nil {
			return out, err
		}
		label := clip(m.Form.Open, 80, "…")
		if label == "" {
			label = clip(m.Form.Title, 80, "…")
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: label, Style: discordgo.PrimaryButton, CustomID: "f" + sep + hash},
		}})
	}
	if len(rows) > 5 {
		return out, fmt.Errorf("message %s: %d rows of choices do not fit in one Discord message (5 at most)", m.ID, len(rows))
	}
	out.components = rows
	if m.Image != nil {
		name := m.Image.Name
		if name == "" {
			name = "chart.png"
		}
		if !strings.HasSuffix(strings.ToLower(name), ".png") {
			name += ".png"
		}
		out.files = []*discordgo.File{{Name: name, ContentType: "image/png", Reader: bytes.NewReader(m.Image.PNG)}}
	}
	if out.content == "" && len(out.components) == 0 && len(out.files) == 0 {
		return out, fmt.Errorf("message %s is empty", m.ID)
	}
	return out, nil
}

// choiceRows renders choices: one row of buttons for up to five, select menus of up
// to 25 options each above that.
func (a *Adapter) choiceRows(ctx context.Context, m chat.Message, loc *i18n.Localizer) ([]discordgo.MessageComponent, error) {
	if len(m.Choices) == 0 {
		return nil, nil
	}
	if len(m.Choices) <= 5 {
		var buttons []discordgo.MessageComponent
		for i, c := range m.Choices {
			id := "c" + sep + strconv.Itoa(i) + sep + c.Action + sep + c.Value
			if len(id) > maxCustomID || strings.Contains(c.Action, sep) {
				h, err := a.storeChoice(ctx, m.ID, i, c)
				if err != nil {
					return nil, err
				}
				id = "h" + sep + h
			}
			buttons = append(buttons, discordgo.Button{Label: clip(c.Label, 80, "…"), Style: buttonStyle(c.Style), CustomID: id})
		}
		return []discordgo.MessageComponent{discordgo.ActionsRow{Components: buttons}}, nil
	}
	var rows []discordgo.MessageComponent
	seen := map[string]bool{}
	var opts []discordgo.SelectMenuOption
	flush := func() {
		if len(opts) == 0 {
			return
		}
		one := 1
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.SelectMenu{
			CustomID: "s" + sep + strconv.Itoa(len(rows)), Placeholder: clip(loc.T("discord.choose"), 150, "…"),
			MinValues: &one, MaxValues: 1, Options: opts,
		}}})
		opts = nil
	}
	for i, c := range m.Choices {
		v := c.Action + sep + c.Value
		if len(v) > maxCustomID || strings.Contains(c.Action, sep) {
			h, err := a.storeChoice(ctx, m.ID, i, c)
			if err != nil {
				return nil, err
			}
			v = "h" + sep + h
		}
		if seen[v] {
			continue
		}
		seen[v] = true
		label := clip(c.Label, 100, "…")
		if label == "" {
			label = clip(c.Value, 100, "…")
		}
		opts = append(opts, discordgo.SelectMenuOption{Label: label, Value: v})
		if len(opts) == 25 {
			flush()
		}
	}
	flush()
	return rows, nil
}

func buttonStyle(s string) discordgo.ButtonStyle {
	switch s {
	case "primary":
		return discordgo.PrimaryButton
	case "danger":
		return discordgo.DangerButton
	}
	return discordgo.SecondaryButton
}

// storeChoice keeps a choice whose action and value do not fit in a custom_id.
func (a *Adapter) storeChoice(ctx context.Context, msgID string, i int, c chat.Choice) (string, error) {
	h := hashKey(msgID, "choice"+strconv.Itoa(i))
	if err := a.kv.Set(ctx, "cid:"+h, c.Action+"\x1f"+c.Value, cacheTTL); err != nil {
		return "", &chat.RetryError{After: 5 * time.Second, Err: fmt.Errorf("cache long choice: %w", err)}
	}
	return h, nil
}

func (a *Adapter) loadChoice(ctx context.Context, h string) (action, value string, ok bool, err error) {
	v, ok, err := a.kv.Get(ctx, "cid:"+h)
	if err != nil || !ok {
		return "", "", false, err
	}
	action, value, ok = strings.Cut(v, "\x1f")
	return action, value, ok, nil
}

func (a *Adapter) storeForm(ctx context.Context, hash string, f chat.Form) error {
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode form: %w", err)
	}
	if err := a.kv.Set(ctx, "form:"+hash, string(b), cacheTTL); err != nil {
		return &chat.RetryError{After: 5 * time.Second, Err: fmt.Errorf("cache form: %w", err)}
	}
	a.forms.put(hash, f)
	return nil
}

func (a *Adapter) loadForm(ctx context.Context, hash string) (chat.Form, bool, error) {
	if f, ok := a.forms.get(hash); ok {
		return f, true, nil
	}
	v, ok, err := a.kv.Get(ctx, "form:"+hash)
	if err != nil || !ok || v == "" {
		return chat.Form{}, false, err
	}
	var f chat.Form
	if err := json.Unmarshal([]byte(v), &f); err != nil {
		return chat.Form{}, false, fmt.Errorf("decode form: %w", err)
	}
	a.forms.put(hash, f)
	return f, true, nil
}

// routeLimit is Discord's limit on posting to one channel (5 messages per 5 seconds),
// shared by every Kring process through the guard. discordgo still follows each
// answer's X-RateLimit headers within a process.
var routeLimit = guard.Limit{Rate: 5, Burst: 5, Period: 5 * time.Second}

// pace waits for the turn of a bot request on route (under the deployment's global and
// route limits), or returns a *chat.PausedError while Discord refuses Kring.
func (a *Adapter) pace(ctx context.Context, route string) error {
	lim := guard.Limit{}
	if route != "" {
		lim = routeLimit
	}
	return a.guard.Wait(ctx, route, lim)
}

// outcomeKey carries a request's *outcome from the caller to the observer.
type outcomeKey struct{}

// outcome is what the observer saw of one request that the caller must act on.
type outcome struct {
	paused *chat.PausedError
}

func withOutcome(ctx context.Context) (context.Context, *outcome) {
	o := &outcome{}
	return context.WithValue(ctx, outcomeKey{}, o), o
}

// observer watches every response and tells the guard: a global 429 pauses every
// process for its Retry-After, a route 429 that route; a 429 without rate-limit headers
// is Cloudflare's ban of the IP and a 401 on a bot route a revoked token: both stop all
// sending for minutes (the guard backs off and tells the admin). Anything else that
// succeeds ends such an episode.
type observer struct {
	inner http.RoundTripper
	a     *Adapter
}

func (o *observer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.inner.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	ctx := context.WithoutCancel(req.Context())
	out, _ := req.Context().Value(outcomeKey{}).(*outcome)
	h := resp.Header
	switch {
	case resp.StatusCode == http.StatusTooManyRequests && h.Get("X-RateLimit-Scope") == "" &&
		h.Get("X-RateLimit-Global") == "" && h.Get("X-RateLimit-Bucket") == "" && h.Get("X-RateLimit-Limit") == "":
		d := o.a.guard.Banned(ctx, retryAfterHeader(h, 0))
		if out != nil {
			out.paused = &chat.PausedError{After: d, Reason: guard.ReasonBanned, Err: errors.New("discord answered 429 without rate-limit headers: the IP is banned for a while")}
		}
	case resp.StatusCode == http.StatusTooManyRequests && (h.Get("X-RateLimit-Global") == "true" || h.Get("X-RateLimit-Scope") == "global"):
		o.a.guard.GlobalLimited(ctx, o.retryAfter(resp))
	case resp.StatusCode == http.StatusTooManyRequests:
		o.a.guard.RouteLimited(ctx, routeOf(req), o.retryAfter(resp))
	case resp.StatusCode == http.StatusUnauthorized && botPath(req.URL.Path):
		d := o.a.guard.Unauthorized(ctx)
		if out != nil {
			out.paused = &chat.PausedError{After: d, Reason: guard.ReasonUnauthorized, Err: errors.New("discord refused the bot token (401): reset it on the application's Bot page, set DISCORD_TOKEN and restart")}
		}
	case resp.StatusCode < 400:
		o.a.guard.OK(ctx)
	}
	return resp, nil
}

// retryAfter reads a 429's wait: the body's retry_after is exact; the Retry-After
// header is rounded up to seconds.
func (o *observer) retryAfter(resp *http.Response) time.Duration {
	after := retryAfterHeader(resp.Header, time.Second)
	if body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<16)); rerr == nil {
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var tm struct {
			RetryAfter *float64 `json:"retry_after"`
		}
		if json.Unmarshal(body, &tm) == nil && tm.RetryAfter != nil && *tm.RetryAfter >= 0 {
			after = time.Duration(*tm.RetryAfter * float64(time.Second))
		}
	}
	return after
}

// botPath reports whether a REST path is authorised by the bot token (interaction
// callbacks and webhook follow-ups use the interaction's own token).
func botPath(p string) bool {
	return !strings.Contains(p, "/interactions/") && !strings.Contains(p, "/webhooks/")
}

// routeOf names a request's route bucket: method and path up to the major parameter
// (POST /channels/42/messages), as pace is given it.
func routeOf(req *http.Request) string {
	p := req.URL.Path
	if i := strings.Index(p, "/channels/"); i >= 0 {
		p = p[i:]
		parts := strings.Split(strings.Trim(p, "/"), "/")
		if len(parts) >= 3 {
			return req.Method + " /" + strings.Join(parts[:3], "/")
		}
	}
	return ""
}

func channelRoute(ch string) string { return "POST /channels/" + ch + "/messages" }

func retryAfterHeader(h http.Header, fallback time.Duration) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
			return time.Duration(f * float64(time.Second))
		}
	}
	return fallback
}

// classify turns a discordgo error into the outbox's terms: *chat.RetryError for 429,
// 5xx and network trouble, chat.ErrUnreachable for 50007, a plain error otherwise.
// Errors never carry request URLs: interaction URLs hold tokens.
func (a *Adapter) classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return &chat.RetryError{After: max(rl.RetryAfter, minRetry), Err: fmt.Errorf("%s: Discord rate limit (retry after %s)", what, rl.RetryAfter)}
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		status := re.Response.StatusCode
		code, msg := 0, ""
		if re.Message != nil {
			code, msg = re.Message.Code, re.Message.Message
		}
		base := &apiError{what: what, status: status, code: code, msg: msg}
		switch {
		case code == codeCannotDM:
			return fmt.Errorf("%w: %w", base, chat.ErrUnreachable)
		case status >= 500 || status == http.StatusTooManyRequests:
			return &chat.RetryError{After: max(retryAfterHeader(re.Response.Header, 2*time.Second), minRetry), Err: base}
		}
		return base
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", what, context.Canceled)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &chat.RetryError{After: 5 * time.Second, Err: fmt.Errorf("%s: %w", what, context.DeadlineExceeded)}
	}
	// discordgo reports a 502 it may not retry (MaxRestRetries is 0) as a plain error.
	if strings.HasPrefix(err.Error(), "Exceeded Max retries HTTP 5") {
		return &chat.RetryError{After: 2 * time.Second, Err: fmt.Errorf("%s: Discord answered %s", what, firstWords(err.Error(), 6))}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &chat.RetryError{After: 2 * time.Second, Err: fmt.Errorf("%s: %w", what, cleanErr(err))}
	}
	return fmt.Errorf("%s: %w", what, cleanErr(err))
}

// apiError is a refusal from Discord's REST API.
type apiError struct {
	what         string
	status, code int
	msg          string
}

func (e *apiError) Error() string {
	hint := ""
	switch e.code {
	case 50001, 50013:
		hint = " (give Kring's role View Channel, Send Messages, Send Messages in Threads and Create Public Threads in the class channel)"
	}
	return fmt.Sprintf("%s: Discord answered %d (code %d: %s)%s", e.what, e.status, e.code, e.msg, hint)
}

func isCode(err error, code int) bool {
	var e *apiError
	return errors.As(err, &e) && e.code == code
}

// tokenDead reports whether a follow-up failed because the interaction token is no
// longer usable, so the message should go another way.
func tokenDead(err error) bool {
	var e *apiError
	if !errors.As(err, &e) {
		return false
	}
	return e.code == codeInvalidToken || e.code == codeUnknownWebhook || e.code == codeUnknownInteraction ||
		e.status == http.StatusUnauthorized
}

var tokenInURL = regexp.MustCompile(`(/(?:webhooks|interactions)/\d+/)[^/?"\s]+`)

// cleanErr returns err with interaction tokens removed from any URL in its text.
func cleanErr(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	c := tokenInURL.ReplaceAllString(s, "${1}<token>")
	if c == s {
		return err
	}
	return errors.New(c)
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}

package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/kring-school/kring/bot/chat"
)

// Send delivers one message. The order of preference: in place of the event it
// answers (response_url, ephemeral outside DMs), else the address the outbox
// resolved (a channel, a thread, or a person's DM, opened once and cached). A
// staff-only message never lands in a shared channel. It blocks for the pacer
// and honours ctx.
func (a *Adapter) Send(ctx context.Context, d chat.Delivery) error {
	g := a.opt.Guard
	if g == nil {
		return a.send(ctx, d)
	}
	if err := g.Check(ctx); err != nil {
		return err
	}
	err := a.send(ctx, d)
	if err == nil {
		g.OK(ctx) // a refused token's episode is over once a send goes through
	}
	return err
}

func (a *Adapter) send(ctx context.Context, d chat.Delivery) error {
	if d.Message.Home {
		return a.refreshHome(ctx, d.Message.To.Person)
	}
	m, err := a.fitChoices(ctx, d.Message)
	if err != nil {
		return err
	}
	d.Message = m
	if m.ReplyRef != "" {
		done, err := a.sendViaRef(ctx, d)
		if done {
			return err
		}
	}
	channel, thread, cached, err := a.target(ctx, d)
	if err != nil {
		return err
	}
	user := a.recipient(d)
	if m.Staff && !isDM(channel) {
		if user == "" {
			return fmt.Errorf("slack: refusing to post staff-only message %s in shared channel %s", m.ID, channel)
		}
		if channel, err = a.dmChannel(ctx, user); err != nil {
			return err
		}
		thread, cached = "", true
	}
	if m.Ephemeral && !isDM(channel) && user != "" {
		return a.postEphemeral(ctx, m, a.langFor(d), channel, user)
	}
	err = a.post(ctx, m, a.langFor(d), channel, thread)
	if cached && user != "" && slackCode(err) == "channel_not_found" {
		// The cached DM channel is gone (rare: workspace migration); open it afresh once.
		_ = a.store().Set(ctx, kvDM+user, "", time.Minute)
		if channel, err = a.dmChannel(ctx, user); err != nil {
			return err
		}
		err = a.post(ctx, m, a.langFor(d), channel, "")
	}
	return err
}

// recipient is the Slack user a delivery is for, if it is for one person.
func (a *Adapter) recipient(d chat.Delivery) string {
	if d.Address.User != "" {
		return d.Address.User
	}
	if d.Message.To.Kind == chat.ToPerson {
		if p, ok := a.opt.School.Person(d.Message.To.Person); ok {
			return a.slackID(p)
		}
	}
	return ""
}

// langFor is the language of the delivery's reader.
func (a *Adapter) langFor(d chat.Delivery) string {
	m := d.Message
	switch m.To.Kind {
	case chat.ToPerson:
		if p, ok := a.opt.School.Person(m.To.Person); ok {
			return a.localeOf(p)
		}
	case chat.ToClass, chat.ToThread:
		if m.To.Class != "" {
			return a.langForClass(m.To.Class)
		}
	}
	if d.Address.User != "" {
		return a.langForUser(d.Address.User)
	}
	return a.opt.School.Locale
}

// target resolves where a delivery goes: channel, thread ts, and whether the channel
// came from the DM cache.
func (a *Adapter) target(ctx context.Context, d chat.Delivery) (channel, thread string, cached bool, err error) {
	m := d.Message
	channel, thread = d.Address.Channel, d.Address.Thread
	if channel == "" {
		switch {
		case m.To.Kind == chat.ToClass || m.To.Kind == chat.ToThread:
			c, ok := a.opt.School.Class(m.To.Class)
			if !ok || c.Slack.Channel == "" {
				return "", "", false, fmt.Errorf("slack: class %q has no slack.channel in the school config", m.To.Class)
			}
			channel = c.Slack.Channel
		default:
			user := a.recipient(d)
			if user == "" {
				return "", "", false, fmt.Errorf("slack: message %s has no Slack recipient (person %q has no slack id)", m.ID, m.To.Person)
			}
			if channel, err = a.dmChannel(ctx, user); err != nil {
				return "", "", false, err
			}
			cached = true
		}
	}
	if thread != "" && !isTS(thread) {
		// The outbox passes the dialog's logical thread key ("prompt:42"), not a ts.
		thread = ""
	}
	if m.To.Kind == chat.ToThread && thread == "" && m.To.Thread != "" {
		thread, err = a.threadTS(ctx, m.To, channel)
	}
	return channel, thread, cached, err
}

// isTS reports whether s looks like a Slack message timestamp ("1700000000.000100").
func isTS(s string) bool {
	sec, frac, ok := strings.Cut(s, ".")
	if !ok || sec == "" || frac == "" {
		return false
	}
	for _, r := range sec + frac {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// dmChannel returns the DM channel with user: from the KV cache, else conversations.open.
func (a *Adapter) dmChannel(ctx context.Context, user string) (string, error) {
	if v, ok, err := a.store().Get(ctx, kvDM+user); err != nil {
		a.log.Warn("dm cache read failed; opening the DM again", "err", err)
	} else if ok && v != "" {
		return v, nil
	}
	if err := a.pace.wait(ctx, "conversations.open", ""); err != nil {
		return "", err
	}
	ch, _, _, err := a.api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		return "", a.fail("conversations.open", "", err)
	}
	if ch == nil || ch.ID == "" {
		return "", fmt.Errorf("slack conversations.open %s: no channel in the answer", user)
	}
	if err := a.store().Set(ctx, kvDM+user, ch.ID, dmTTL); err != nil {
		a.log.Warn("dm cache write failed", "err", err)
	}
	return ch.ID, nil
}

// threadClaim is how long one process may take to post a thread's parent before
// another may.
const threadClaim = 15 * time.Second

// threadTS returns the ts of the parent message of a logical thread, posting the
// parent (the thread's title) on first use.
func (a *Adapter) threadTS(ctx context.Context, to chat.Target, channel string) (string, error) {
	key := kvThread + to.Class + ":" + to.Thread
	v, ok, err := a.store().Get(ctx, key)
	if err != nil {
		// Not knowing whether the thread exists, posting a parent could start a second one.
		return "", &chat.RetryError{After: 5 * time.Second, Err: fmt.Errorf("read thread cache: %w", err)}
	}
	if ok && v != "" {
		return v, nil
	}
	// Two processes delivering to a new thread at once would each post a parent: the
	// one that claims it posts, the other tries again when the ts is cached.
	if won, err := chat.Claim(ctx, a.store(), "threadclaim:"+to.Class+":"+to.Thread, a.owner, threadClaim); err != nil {
		return "", &chat.RetryError{After: 5 * time.Second, Err: fmt.Errorf("claim thread: %w", err)}
	} else if !won {
		return "", &chat.RetryError{After: 2 * time.Second, Err: errors.New("another Kring process is starting this thread")}
	}
	loc := a.cat.For(a.langForClass(to.Class))
	title := to.ThreadTitle
	if title == "" {
		title = loc.T("slack.thread.title")
	}
	// The title may be a teacher's words: neutralise it like any person's text.
	r := rendered{text: "*" + neutralise(title) + "*"}
	r.blocks = []slackgo.Block{slackgo.NewSectionBlock(mrkdwnText(r.text), nil, nil,
		slackgo.SectionBlockOptionBlockID(blockID("thread:"+to.Thread, "t0")))}
	ts, err := a.postMessage(ctx, channel, "", r)
	if err != nil {
		return "", err
	}
	// The way back first: a pupil may answer in the thread as soon as it shows.
	if err := a.store().Set(ctx, kvThreadKey+channel+":"+ts, to.Thread, 0); err != nil {
		a.log.Warn("thread key cache write failed", "err", err)
	}
	if err := a.store().Set(ctx, key, ts, 0); err != nil {
		a.log.Warn("thread cache write failed", "err", err)
	}
	return ts, nil
}

// post sends a message to a channel (optionally in a thread), with its image.
func (a *Adapter) post(ctx context.Context, m chat.Message, lang, channel, thread string) error {
	r := a.render(m, lang)
	if err := a.saveForm(ctx, m, r, lang); err != nil {
		return err
	}
	if m.Image == nil {
		_, err := a.postMessage(ctx, channel, thread, r)
		return err
	}
	// Text and image are two calls; remember the text went out so a retry after a
	// failed upload doesn't post it twice.
	key := kvSent + m.ID
	done := false
	if m.ID != "" {
		if v, ok, err := a.store().Get(ctx, key); err == nil && ok && v != "" {
			done = true
		}
	}
	if !done && !r.empty() {
		ts, err := a.postMessage(ctx, channel, thread, r)
		if err != nil {
			return err
		}
		if m.ID != "" {
			_ = a.store().Set(ctx, key, ts, sentTTL)
		}
	}
	return a.upload(ctx, *m.Image, lang, channel, thread)
}

// postMessage is one paced chat.postMessage; it returns the message ts.
func (a *Adapter) postMessage(ctx context.Context, channel, thread string, r rendered) (string, error) {
	if err := a.pace.wait(ctx, "chat.postMessage", channel); err != nil {
		return "", err
	}
	opts := append(msgOptions(r), slackgo.MsgOptionDisableLinkUnfurl(), slackgo.MsgOptionDisableMediaUnfurl())
	if thread != "" {
		opts = append(opts, slackgo.MsgOptionTS(thread))
	}
	_, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", a.fail("chat.postMessage", channel, err)
	}
	return ts, nil
}

// msgOptions are the text, blocks and the switches that keep Slack from parsing
// names and links in our text on its own.
func msgOptions(r rendered) []slackgo.MsgOption {
	opts := []slackgo.MsgOption{
		slackgo.MsgOptionText(r.text, false),
		slackgo.MsgOptionParse(false),
		slackgo.MsgOptionLinkNames(false),
	}
	if len(r.blocks) > 0 {
		opts = append(opts, slackgo.MsgOptionBlocks(r.blocks...))
	}
	return opts
}

func (a *Adapter) postEphemeral(ctx context.Context, m chat.Message, lang, channel, user string) error {
	r := a.render(m, lang)
	if err := a.saveForm(ctx, m, r, lang); err != nil {
		return err
	}
	if err := a.pace.wait(ctx, "chat.postEphemeral", ""); err != nil {
		return err
	}
	if _, err := a.api.PostEphemeralContext(ctx, channel, user, msgOptions(r)...); err != nil {
		return a.fail("chat.postEphemeral", "", err)
	}
	return nil
}

// upload shares a PNG through the files v2 flow (get upload URL, upload, complete).
func (a *Adapter) upload(ctx context.Context, img chat.Image, lang, channel, thread string) error {
	if len(img.PNG) == 0 {
		return nil
	}
	name := img.Name
	if name == "" {
		name = "kring.png"
	}
	if !strings.HasSuffix(strings.ToLower(name), ".png") {
		name += ".png"
	}
	alt := img.Alt
	if alt == "" {
		alt = a.cat.For(lang).T("slack.image.alt")
	}
	for _, method := range []string{"files.getUploadURLExternal", "files.completeUploadExternal"} {
		if err := a.pace.wait(ctx, method, ""); err != nil {
			return err
		}
	}
	_, err := a.api.UploadFileContext(ctx, slackgo.UploadFileParameters{
		Reader: bytes.NewReader(img.PNG), FileSize: len(img.PNG), Filename: name,
		Title: truncate(alt, 250), AltTxt: truncate(alt, 1000), Channel: channel, ThreadTimestamp: thread,
	})
	return a.fail("files.upload", "", err)
}

// saveForm keeps a message's form until its button is pressed: Slack's button value
// is too small for a form, and the modal must open within 3 seconds of the press.
func (a *Adapter) saveForm(ctx context.Context, m chat.Message, r rendered, lang string) error {
	if m.Form == nil {
		return nil
	}
	if m.ID == "" {
		return errors.New("slack: a message with a form needs an id")
	}
	var text strings.Builder
	for _, b := range r.blocks {
		if s, ok := b.(*slackgo.SectionBlock); ok && s.Text != nil {
			text.WriteString(s.Text.Text)
			text.WriteString("\n")
		}
	}
	rec, err := json.Marshal(formRecord{Form: *m.Form, Text: strings.TrimRight(text.String(), "\n"), Lang: lang})
	if err != nil {
		return fmt.Errorf("slack: encode form of %s: %w", m.ID, err)
	}
	if err := a.store().Set(ctx, kvForm+m.ID, string(rec), formTTL); err != nil {
		return &chat.RetryError{After: time.Second, Err: fmt.Errorf("slack: save form of %s: %w", m.ID, err)}
	}
	return nil
}

func (a *Adapter) loadForm(ctx context.Context, msgID string) (formRecord, bool) {
	var rec formRecord
	v, ok, err := a.store().Get(ctx, kvForm+msgID)
	if err != nil || !ok || v == "" {
		return rec, false
	}
	if json.Unmarshal([]byte(v), &rec) != nil {
		return rec, false
	}
	return rec, true
}

// ReplyRef is "CHANNEL RESPONSE_URL": where the event happened and Slack's webhook
// for answering it (valid 30 minutes, five times).
func makeRef(channel, responseURL string) string { return channel + " " + responseURL }

func parseRef(ref string) (channel, responseURL string) {
	channel, responseURL, _ = strings.Cut(ref, " ")
	return channel, responseURL
}

// sendViaRef answers an event in place. It reports done=false when the message must
// go the ordinary way instead: an image, staff-only words outside a DM, or a
// response_url Slack no longer accepts.
func (a *Adapter) sendViaRef(ctx context.Context, d chat.Delivery) (bool, error) {
	m := d.Message
	channel, url := parseRef(m.ReplyRef)
	user := a.recipient(d)
	if channel == "" || (m.Staff && !isDM(channel)) {
		return false, nil
	}
	if url == "" {
		switch {
		case isDM(channel):
			// A DM typed to Kring: answer in that DM, no conversations.open needed.
			return true, a.post(ctx, m, a.langFor(d), channel, "")
		case user != "" && m.Image == nil:
			// A message typed in a shared channel: answer the actor only.
			return true, a.postEphemeral(ctx, m, a.langFor(d), channel, user)
		}
		return false, nil
	}
	if m.Image != nil {
		return false, nil
	}
	// Outside a DM every in-place answer is ephemeral: answers to one person are not
	// for the class. In the DM a normal message reads better and can be updated.
	respType := slackgo.ResponseTypeEphemeral
	if isDM(channel) && !m.Ephemeral {
		respType = slackgo.ResponseTypeInChannel
	}
	lang := a.langFor(d)
	r := a.render(m, lang)
	if err := a.saveForm(ctx, m, r, lang); err != nil {
		return true, err
	}
	if err := a.pace.wait(ctx, "response_url", channel); err != nil {
		return true, err
	}
	err := a.respond(ctx, url, respType, false, r)
	if err == nil {
		return true, nil
	}
	if sc, ok := errors.AsType[slackgo.StatusCodeError](err); ok && (sc.Code == http.StatusNotFound || sc.Code == http.StatusGone) {
		a.log.Debug("response_url spent; sending the ordinary way", "message", m.ID)
		return false, nil
	}
	ferr := a.fail("response_url", channel, err)
	if _, retry := errors.AsType[*chat.RetryError](ferr); retry {
		return true, ferr
	}
	a.log.Warn("response_url refused; sending the ordinary way", "message", m.ID, "err", err)
	return false, nil
}

// respond posts to a response_url.
func (a *Adapter) respond(ctx context.Context, url, respType string, replace bool, r rendered) error {
	opts := msgOptions(r)
	if replace {
		opts = append(opts, slackgo.MsgOptionReplaceOriginal(url))
	} else {
		opts = append(opts, slackgo.MsgOptionResponseURL(url, respType))
	}
	opts = append(opts, slackgo.MsgOptionDisableLinkUnfurl(), slackgo.MsgOptionDisableMediaUnfurl())
	_, _, err := a.api.PostMessageContext(ctx, "", opts...)
	return err
}

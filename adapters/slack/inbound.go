package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/i18n"
)

// Event ids. Slack re-sends an Events API event with the same event_id; an
// interaction or slash command envelope re-sent over Socket Mode carries the same
// trigger_id (and response_url), which is unique per user action. So these ids
// are equal across Slack's retries and distinct otherwise.
func stableID(kind string, parts ...string) string {
	for _, p := range parts {
		if p == "" {
			continue
		}
		if len(p) > 96 {
			h := sha256.Sum256([]byte(p))
			p = hex.EncodeToString(h[:16])
		}
		return kind + ":" + p
	}
	return ""
}

// tsTime reads a Slack timestamp ("1700000000.000100").
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, us*1000)
}

// commandNames maps every accepted sub-command name, lower-case, to its canonical
// name: the canonical English name and the localised cmd.NAME.name of each language.
func (a *Adapter) commandNames(commands []chat.Command) map[string]string {
	specs := append([]chat.Command{{Name: "help"}}, commands...)
	names := map[string]string{}
	for _, s := range specs {
		names[strings.ToLower(s.Name)] = s.Name
	}
	for _, s := range specs {
		for _, lang := range i18n.Languages {
			if !a.cat.Has(lang, "cmd."+s.Name+".name") {
				continue
			}
			n := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(a.cat.For(lang).T("cmd."+s.Name+".name")), "/"))
			if n == "" {
				continue
			}
			if other, ok := names[n]; ok && other != s.Name {
				a.log.Warn("localised command name clashes; keeping the first", "name", n, "command", s.Name, "kept", other)
				continue
			}
			names[n] = s.Name
		}
	}
	return names
}

// parseCommand splits the text after /kring into the canonical sub-command and the
// rest. An empty text is help; an unknown word is passed on for the Engine to answer.
func (a *Adapter) parseCommand(text string) (command, args string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "help", ""
	}
	sub, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		sub, rest = text[:i], text[i:]
	}
	sub = strings.ToLower(strings.TrimPrefix(sub, "/"))
	sub = unescapeEntities(sub)
	if c, ok := a.p().names[sub]; ok {
		sub = c
	}
	return sub, a.decode(strings.TrimSpace(rest), true)
}

var entityUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unescapeEntities(s string) string { return entityUnescaper.Replace(s) }

// decode turns Slack's encoded text back into what the person typed. Mentions
// become <@U…> in command arguments (the Engine resolves them) and @Name in free
// text; links become their address, special mentions their plain words.
func (a *Adapter) decode(s string, forArgs bool) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(unescapeEntities(s[:i]))
		inner := s[i+1 : i+j]
		s = s[i+j+1:]
		target, label, _ := strings.Cut(inner, "|")
		label = unescapeEntities(label)
		switch {
		case strings.HasPrefix(target, "@"):
			id := target[1:]
			if forArgs {
				b.WriteString("<@" + id + ">")
				continue
			}
			name := label
			if p, ok := a.person(id); ok {
				name = p.Name
			}
			if name == "" {
				name = id
			}
			b.WriteString("@" + strings.TrimPrefix(name, "@"))
		case strings.HasPrefix(target, "#"):
			if label == "" {
				label = target[1:]
			}
			b.WriteString("#" + label)
		case strings.HasPrefix(target, "!subteam^"), strings.HasPrefix(target, "!date^"):
			b.WriteString(label)
		case strings.HasPrefix(target, "!"):
			b.WriteString("@" + target[1:])
		default:
			addr := strings.TrimPrefix(unescapeEntities(target), "mailto:")
			if label != "" && label != addr && label != target {
				b.WriteString(label + " (" + addr + ")")
			} else {
				b.WriteString(addr)
			}
		}
	}
	b.WriteString(unescapeEntities(s))
	return b.String()
}

// dispatch hands one event to the Engine and sends its immediate replies.
func (a *Adapter) dispatch(ctx context.Context, ev chat.Event) {
	h := a.currentHandler()
	if h == nil {
		a.log.Warn("event before Run; dropped", "id", ev.ID)
		return
	}
	ev.Platform = chat.Slack
	replies := h.Handle(ctx, ev)
	if len(replies) > 0 && !a.firstReply(ctx, ev.ID) {
		// Slack delivered this event again (its retry, perhaps to another process) and
		// the Engine answered it again because nothing was saved for it (no conversation
		// waits): the person already has the answer.
		a.log.Info("reply to a redelivered event not sent again", "event", ev.ID)
		return
	}
	a.answer(ctx, ev, replies)
}

// firstReply reports whether this is the first time an immediate reply to event id is
// sent, in any process (via the KV when it can tell, else in this process).
func (a *Adapter) firstReply(ctx context.Context, id string) bool {
	if id == "" {
		return true
	}
	if kv, ok := a.store().(chat.OnceKV); ok {
		first, err := kv.SetNX(ctx, kvReplied+id, "1", repliedTTL)
		if err == nil {
			return first
		}
		a.log.Warn("remember reply", "err", err)
	}
	return a.seen.first("reply:" + id)
}

// answer sends the Engine's immediate replies to the actor, in place of the event
// where Slack lets us, retrying throttled sends a few times within ctx.
func (a *Adapter) answer(ctx context.Context, ev chat.Event, replies []chat.Message) {
	for i, m := range replies {
		if m.ReplyRef == "" {
			m.ReplyRef = ev.ReplyRef
		}
		if m.ID == "" {
			m.ID = ev.ID + ":r" + strconv.Itoa(i)
		}
		d := chat.Delivery{Message: m, Address: chat.Address{Tenant: ev.Tenant}, Attempt: 1}
		if m.To.Kind == "" || (m.To.Kind == chat.ToPerson && m.To.Person == "") {
			d.Address.User = ev.User
		}
		for {
			err := a.Send(ctx, d)
			if re, ok := errors.AsType[*chat.RetryError](err); ok && d.Attempt < 3 {
				select {
				case <-a.clk.After(re.After):
				case <-ctx.Done():
				}
				d.Attempt++
				continue
			}
			if err != nil {
				a.log.Warn("immediate reply failed", "event", ev.ID, "err", err)
			}
			break
		}
	}
}

// onSlash handles /kring SUB ARGS.
func (a *Adapter) onSlash(ctx context.Context, c slackgo.SlashCommand) {
	if !a.teamOK(c.TeamID) {
		return
	}
	ev := chat.Event{
		ID:       stableID("cmd", c.TriggerID, c.ResponseURL),
		Tenant:   c.TeamID,
		Channel:  c.ChannelID,
		User:     c.UserID,
		DM:       isDM(c.ChannelID),
		Kind:     chat.KindCommand,
		ReplyRef: makeRef(c.ChannelID, c.ResponseURL),
		Time:     a.clk.Now(),
	}
	ev.Command, ev.ArgText = a.parseCommand(c.Text)
	a.dispatch(ctx, ev)
}

// onEventsAPI handles an Events API callback: DMs to the bot, messages in class
// channels and in Kring's threads, mentions of the bot, and App Home opens.
func (a *Adapter) onEventsAPI(ctx context.Context, e slackevents.EventsAPIEvent) {
	if e.Type != slackevents.CallbackEvent || !a.teamOK(e.TeamID) {
		return
	}
	eventID := ""
	if cb, ok := e.Data.(*slackevents.EventsAPICallbackEvent); ok {
		eventID = cb.EventID
	}
	switch in := e.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		a.onMessage(ctx, e.TeamID, eventID, in)
	case *slackevents.AppMentionEvent:
		// Slack sends a mention in a channel twice: as message.channels and as
		// app_mention (each with its own event_id). Both become the same event.
		if in.BotID != "" || in.User == "" || in.Edited != nil || isDM(in.Channel) {
			return
		}
		a.onChannelText(ctx, e.TeamID, channelText{channel: in.Channel, ts: in.TimeStamp, thread: in.ThreadTimeStamp, user: in.User, text: in.Text})
	case *slackevents.AppHomeOpenedEvent:
		if in.Tab == "home" {
			a.publishOnOpen(ctx, in.User)
		}
	}
}

func (a *Adapter) onMessage(ctx context.Context, team, eventID string, m *slackevents.MessageEvent) {
	// Edits, joins, bot posts (our own included) and file shares are not a person
	// talking; a thread reply also sent to the channel is.
	if (m.SubType != "" && m.SubType != "thread_broadcast") || m.BotID != "" || m.User == "" || m.User == a.botUser.Load().(string) {
		return
	}
	if !(m.ChannelType == "im" || isDM(m.Channel)) {
		ct := channelText{channel: m.Channel, ts: m.TimeStamp, thread: m.ThreadTimeStamp, user: m.User, text: m.Text}
		if m.Message != nil {
			ct.parent = m.Message.ParentUserId
		}
		a.onChannelText(ctx, team, ct)
		return
	}
	ev := chat.Event{
		ID:       stableID("ev", eventID, m.Channel+"/"+m.TimeStamp),
		Tenant:   team,
		Channel:  m.Channel,
		Thread:   m.ThreadTimeStamp,
		User:     m.User,
		DM:       true,
		Kind:     chat.KindMessage,
		Text:     a.decode(m.Text, false),
		ReplyRef: makeRef(m.Channel, ""),
		Time:     tsTime(m.TimeStamp),
	}
	a.dispatch(ctx, ev)
}

// channelText is a person's message in a channel or thread.
type channelText struct {
	channel, ts, thread, user, text string
	// parent is the author of the thread's parent message, when Slack says.
	parent string
}

// onChannelText passes on a message in a class channel that Kring should read: a reply
// in a thread Kring opened (with its logical key), or a message that mentions Kring or
// replies in the thread of one of its messages. Other chatter is dropped unread.
func (a *Adapter) onChannelText(ctx context.Context, team string, m channelText) {
	if m.user == "" || m.user == a.botUser.Load().(string) || !a.classChannel(m.channel) {
		return
	}
	bot := a.botUser.Load().(string)
	re := a.mention.Load()
	mention := re != nil && re.MatchString(m.text)
	ev := chat.Event{
		// The same for the message and the app_mention event of one message.
		ID:      "msg:" + m.channel + "/" + m.ts,
		Tenant:  team,
		Channel: m.channel,
		Thread:  m.thread,
		User:    m.user,
		Kind:    chat.KindMessage,
		Mention: mention || (m.thread != "" && m.parent == bot && bot != ""),
		Time:    tsTime(m.ts),
	}
	if m.thread != "" {
		key, ok, err := a.store().Get(ctx, kvThreadKey+m.channel+":"+m.thread)
		if err != nil {
			a.log.Warn("thread reply could not be matched to its dialog", "channel", m.channel, "err", err)
			a.answer(ctx, ev, []chat.Message{{Text: a.cat.For(a.langForUser(m.user)).T("slack.try_again")}})
			return
		}
		if ok {
			ev.ThreadKey = key
		}
	}
	if ev.ThreadKey == "" && !ev.Mention {
		return
	}
	if !a.seen.first(ev.ID) {
		return
	}
	if re != nil {
		m.text = re.ReplaceAllString(m.text, " ")
	}
	ev.Text = strings.TrimSpace(a.decode(m.text, false))
	if ev.Text == "" {
		return
	}
	a.dispatch(ctx, ev)
}

// mentionOf matches Slack's encoding of a mention of user: <@U123> or <@U123|name>.
func mentionOf(user string) *regexp.Regexp {
	return regexp.MustCompile(`<@` + regexp.QuoteMeta(user) + `(\|[^>]*)?>`)
}

// classChannel reports whether a Slack channel is some class's channel.
func (a *Adapter) classChannel(ch string) bool {
	for _, c := range a.opt.School.Classes {
		if c.Slack.Channel == ch {
			return true
		}
	}
	return false
}

// onBlockActions handles pressed buttons and chosen options.
func (a *Adapter) onBlockActions(ctx context.Context, cb slackgo.InteractionCallback) {
	if !a.teamOK(cb.Team.ID) {
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	for i, act := range cb.ActionCallback.BlockActions {
		if act.ActionID == formActionID {
			a.openForm(ctx, cb, act.Value)
			continue
		}
		value, label := act.Value, act.Text.Text
		if act.Type == slackgo.ActionType(slackgo.OptTypeStatic) {
			value = act.SelectedOption.Value
			if act.SelectedOption.Text != nil {
				label = act.SelectedOption.Text.Text
			}
		}
		id := stableID("act", cb.TriggerID, cb.ResponseURL+act.ActionTs)
		if i > 0 {
			id += ":" + strconv.Itoa(i)
		}
		ev := chat.Event{
			ID:       id,
			Tenant:   cb.Team.ID,
			Channel:  channel,
			Thread:   cb.Container.ThreadTs,
			User:     cb.User.ID,
			DM:       isDM(channel),
			Kind:     chat.KindButton,
			Action:   actionOf(act.ActionID),
			Value:    value,
			ReplyRef: makeRef(channel, cb.ResponseURL),
			Time:     tsTime(act.ActionTs),
		}
		if ev.Time.IsZero() {
			ev.Time = a.clk.Now()
		}
		if !a.unhash(ctx, &ev) {
			a.log.Warn("choice no longer cached", "event", ev.ID)
			lang := a.langForUser(cb.User.ID)
			a.answer(ctx, ev, []chat.Message{{To: chat.Target{Kind: chat.ToPerson}, Text: a.cat.For(lang).T("delivery.choice_expired"), Ephemeral: true}})
			continue
		}
		// Take the buttons away first, so the same question cannot be answered twice;
		// but only where the actor alone sees them: a class post (a poll) keeps its
		// buttons for the rest of the class.
		if isDM(channel) || cb.Container.IsEphemeral {
			a.markAnswered(ctx, cb, channel, label)
		}
		a.dispatch(ctx, ev)
	}
}

// markAnswered replaces the pressed message's buttons with the chosen label.
func (a *Adapter) markAnswered(ctx context.Context, cb slackgo.InteractionCallback, channel, label string) {
	lang := a.langForUser(cb.User.ID)
	var blocks []slackgo.Block
	for _, b := range cb.Message.Blocks.BlockSet {
		if b.BlockType() != slackgo.MBTAction {
			blocks = append(blocks, b)
		}
	}
	note := a.md(a.cat.For(lang).T("slack.chosen", "Label", chat.Literal(label)))
	blocks = append(blocks, a.answeredBlock(note))
	text := cb.Message.Text
	if text == "" {
		text = note
	}
	a.replaceMessage(ctx, cb.ResponseURL, channel, cb.Container.MessageTs, cb.Container.IsEphemeral, rendered{blocks: blocks, text: text})
}

// replaceMessage updates a message in place: through the interaction's response_url
// (no rate tier, works for ephemeral messages too), else chat.update.
func (a *Adapter) replaceMessage(ctx context.Context, responseURL, channel, ts string, ephemeral bool, r rendered) {
	if responseURL != "" {
		err := a.respond(ctx, responseURL, "", true, r)
		if err == nil {
			return
		}
		a.log.Debug("replace through response_url failed", "err", err)
	}
	if ephemeral || channel == "" || ts == "" {
		return
	}
	if err := a.pace.wait(ctx, "chat.update", ""); err != nil {
		return
	}
	opts := append(msgOptions(r), slackgo.MsgOptionUpdate(ts))
	if _, _, _, err := a.api.SendMessageContext(ctx, channel, opts...); err != nil {
		a.log.Warn("could not update the answered message", "channel", channel, "err", a.fail("chat.update", "", err))
	}
}

// openForm opens the modal of a message's form. It must happen within 3 seconds of
// the press (the trigger_id's life), so it runs right after the ack, unpaced.
func (a *Adapter) openForm(ctx context.Context, cb slackgo.InteractionCallback, msgID string) {
	if !a.seen.first("open:" + cb.TriggerID) {
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	lang := a.langForUser(cb.User.ID)
	rec, ok := a.loadForm(ctx, msgID)
	if !ok {
		a.tell(ctx, cb.ResponseURL, a.cat.For(lang).T("slack.form.expired"))
		return
	}
	meta := formMeta{Msg: msgID, Action: rec.Form.Action, Channel: channel, TS: cb.Container.MessageTs, Resp: cb.ResponseURL, Lang: rec.Lang}
	if meta.Lang == "" {
		meta.Lang = lang
	}
	view, err := a.modal(rec.Form, meta)
	if err != nil {
		a.log.Error("build modal", "err", err)
		return
	}
	if _, err := a.api.OpenViewContext(ctx, cb.TriggerID, view); err != nil {
		a.log.Warn("views.open failed", "err", a.fail("views.open", "", err), "detail", viewErrorDetail(err))
		a.tell(ctx, cb.ResponseURL, a.cat.For(lang).T("slack.form.failed"))
	}
}

func viewErrorDetail(err error) string {
	if se, ok := errors.AsType[slackgo.SlackErrorResponse](err); ok {
		return strings.Join(se.ResponseMetadata.Messages, "; ")
	}
	return ""
}

// tell sends a short ephemeral note through a response_url.
func (a *Adapter) tell(ctx context.Context, responseURL, text string) {
	if responseURL == "" {
		return
	}
	r := rendered{text: a.md(text), blocks: []slackgo.Block{slackgo.NewSectionBlock(mrkdwnText(a.md(text)), nil, nil)}}
	if err := a.respond(ctx, responseURL, slackgo.ResponseTypeEphemeral, false, r); err != nil {
		a.log.Debug("ephemeral note failed", "err", err)
	}
}

// onSubmit handles a modal submission and returns what to answer Slack with: nil
// closes the modal; errors keep it open and show them under the fields. It waits up
// to FormWait for the Engine so a refusal (too long, nothing expected now, storage
// down) appears in the modal, with the person's text still there to fix.
func (a *Adapter) onSubmit(ctx context.Context, cb slackgo.InteractionCallback) *slackgo.ViewSubmissionResponse {
	if cb.View.CallbackID != formCallbackID || !a.teamOK(cb.Team.ID) {
		return nil
	}
	var meta formMeta
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta); err != nil {
		a.log.Warn("modal without our metadata", "err", err)
		return nil
	}
	loc := a.cat.For(meta.Lang)
	rec, haveRec := a.loadForm(ctx, meta.Msg)
	fields := map[string]string{}
	if cb.View.State != nil {
		for blockID, byAction := range cb.View.State.Values {
			for _, v := range byAction {
				fields[blockID] = strings.TrimSpace(v.Value)
			}
		}
	}
	errs := map[string]string{}
	if haveRec {
		for _, f := range rec.Form.Fields {
			v := fields[f.ID]
			switch {
			case f.Required && v == "":
				errs[f.ID] = loc.T("slack.form.required")
			case f.MaxLen > 0 && len([]rune(v)) > f.MaxLen:
				errs[f.ID] = loc.T("slack.form.too_long", "Max", f.MaxLen)
			}
		}
	}
	if len(errs) > 0 {
		return slackgo.NewErrorsViewSubmissionResponse(errs)
	}
	ev := chat.Event{
		ID:       stableID("form", cb.TriggerID, cb.View.ID+"/"+cb.View.Hash),
		Tenant:   cb.Team.ID,
		Channel:  meta.Channel,
		User:     cb.User.ID,
		DM:       isDM(meta.Channel),
		Kind:     chat.KindForm,
		Action:   meta.Action,
		Fields:   fields,
		ReplyRef: makeRef(meta.Channel, meta.Resp),
		Time:     a.clk.Now(),
	}
	h := a.currentHandler()
	if h == nil {
		return nil
	}
	ev.Platform = chat.Slack
	done := make(chan []chat.Message, 1)
	a.goWork(func(wctx context.Context) { done <- h.Handle(wctx, ev) })
	select {
	case replies := <-done:
		if first := firstField(rec); len(replies) > 0 && first != "" && isPlainNote(replies[0]) {
			// The Engine refused; nothing was saved. Show why, keep the modal open.
			note := truncate(plain(replies[0].Text), maxErrorText)
			a.goWork(func(wctx context.Context) { a.answer(wctx, ev, replies[1:]) })
			return slackgo.NewErrorsViewSubmissionResponse(map[string]string{first: note})
		}
		a.goWork(func(wctx context.Context) { a.answer(wctx, ev, replies) })
	case <-a.clk.After(a.opt.FormWait):
		a.goWork(func(wctx context.Context) { a.answer(wctx, ev, <-done) })
	}
	a.goWork(func(wctx context.Context) { a.markSent(wctx, meta, rec) })
	return nil
}

func firstField(rec formRecord) string {
	if len(rec.Form.Fields) == 0 {
		return ""
	}
	return rec.Form.Fields[0].ID
}

// isPlainNote reports whether an immediate reply is just words (an error or
// refusal), which fits under a field, rather than a question with choices.
func isPlainNote(m chat.Message) bool {
	return len(m.Choices) == 0 && m.Form == nil && m.Image == nil && m.Text != ""
}

// markSent replaces the form's button on the message that offered it with "sent".
func (a *Adapter) markSent(ctx context.Context, meta formMeta, rec formRecord) {
	loc := a.cat.For(meta.Lang)
	blocks := sectionBlocks(rec.Text)
	note := a.md(loc.T("slack.form.sent"))
	blocks = append(blocks, a.answeredBlock(note))
	text := rec.Text
	if text == "" {
		text = note
	}
	a.replaceMessage(ctx, meta.Resp, meta.Channel, meta.TS, false, rendered{blocks: blocks, text: text})
}

// goWork runs f after the ack, on a context that outlives the event's delivery but
// not a shutdown by much; Run waits for it before returning.
func (a *Adapter) goWork(f func(ctx context.Context)) {
	a.work.Add(1)
	go func() {
		defer a.work.Done()
		ctx, cancel := context.WithTimeout(a.baseCtx(), 60*time.Second)
		defer cancel()
		f(ctx)
	}()
}

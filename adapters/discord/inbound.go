package discord

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/i18n"
)

// onInteraction acknowledges an interaction at once and hands it to the Engine in a
// goroutine. The acknowledgement never waits for Redis or a dialog: commands get a
// deferred ephemeral reply (type 5), a button on a private message updates that
// message so its buttons cannot be pressed twice (type 7), a button on a shared
// message is acknowledged silently (type 6), and a form button opens its modal (type 9).
func (a *Adapter) onInteraction(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
	if ic == nil || ic.Interaction == nil {
		return
	}
	i := ic.Interaction
	// A resumed gateway can deliver an interaction again; only the first counts. The
	// Engine dedupes by event id across processes as well.
	if !a.seen.add("i" + i.ID) {
		a.log.Debug("duplicate interaction dropped", "interaction", i.ID)
		return
	}
	u := i.User
	if i.Member != nil && i.Member.User != nil {
		u = i.Member.User
	}
	if u == nil {
		return
	}
	dm := i.GuildID == ""
	loc := a.localizer(u.ID, i.Locale)
	if !dm && i.GuildID != a.school.Discord.Guild {
		a.ack(i, ephemeralText(loc.T("discord.other_server")))
		return
	}
	now := a.clock.Now()
	ev := chat.Event{
		ID: i.ID, Platform: chat.Discord, Tenant: i.GuildID, Channel: i.ChannelID, User: u.ID, DM: dm,
		ReplyRef: encodeRef(now, dm, i.Token), Time: snowflakeTime(i.ID, now),
	}
	var resp *discordgo.InteractionResponse
	var hashed string // a choice to look up after the acknowledgement
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		d := i.ApplicationCommandData()
		ev.Kind = chat.KindCommand
		ev.Command = d.Name
		ev.Args = commandArgs(d.Options)
		resp = &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
		}
	case discordgo.InteractionMessageComponent:
		d := i.MessageComponentData()
		id := parseCustomID(d.CustomID, d.Values)
		switch id.kind {
		case idForm:
			a.openForm(i, id.hash, loc)
			return
		case idChoice:
			ev.Action, ev.Value = id.action, id.value
		case idHashed:
			hashed = id.hash
		default:
			// Not one of Kring's components (or from an older version): acknowledge quietly.
			a.ack(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate})
			return
		}
		ev.Kind = chat.KindButton
		resp = a.pressResponse(i, d.CustomID, d.Values, loc)
	case discordgo.InteractionModalSubmit:
		d := i.ModalSubmitData()
		id := parseCustomID(d.CustomID, nil)
		if id.kind != idModal {
			a.ack(i, ephemeralText(loc.T("discord.try_again")))
			return
		}
		ev.Kind = chat.KindForm
		ev.Action = id.action
		ev.Fields = modalFields(d)
		hashed = id.hash
		resp = a.submitResponse(i, "f"+sep+id.hash, loc)
	default:
		return
	}
	if err := a.ack(i, resp); err != nil && isCode(err, codeAlreadyAcked) {
		return // another Kring process took this interaction
	}
	deferred := resp.Type == discordgo.InteractionResponseDeferredChannelMessageWithSource
	a.spawn(func(ctx context.Context, h chat.Handler) {
		if deferred {
			// However the step ends, the "thinking…" reply is resolved.
			defer a.watchDeferred(i.Token)
		}
		if hashed != "" && ev.Action == "" {
			if err := a.resolve(ctx, &ev, hashed); err != nil {
				a.log.Warn("interaction could not be resolved", "interaction", i.ID, "err", err)
				a.sendReplies(ctx, ev, []chat.Message{{Text: loc.T("discord.try_again")}})
				return
			}
		}
		a.sendReplies(ctx, ev, h.Handle(ctx, ev))
	})
}

// followedKey names the KV mark that an interaction got a follow-up (any process).
func followedKey(token string) string { return "fu:" + hashKey(token, "followed") }

// watchDeferred makes sure a deferred reply does not stay "thinking…": the step's
// answer may come as a follow-up from the outbox (in any process), so the adapter waits
// ResolveAfter and, when no follow-up was posted by then, deletes the deferred
// message. At shutdown it decides at once.
func (a *Adapter) watchDeferred(token string) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		select {
		case <-a.clock.After(a.o.ResolveAfter):
		case <-a.stopping:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if v, ok, err := a.kv.Get(ctx, followedKey(token)); err == nil && ok && v != "" {
			return
		}
		app, err := a.app(ctx)
		if err != nil {
			a.log.Warn("resolve deferred reply", "err", err)
			return
		}
		if err := a.guard.Check(ctx); err != nil {
			return // banned: Discord will mark it unanswered; nothing else can be done
		}
		err = a.s.InteractionResponseDelete(&discordgo.Interaction{AppID: app, Token: token}, discordgo.WithContext(ctx))
		if err != nil && !tokenDead(a.classify(err, "delete deferred reply")) {
			a.log.Warn("resolve deferred reply", "err", a.classify(err, "delete deferred reply"))
		}
	}()
}

// markFollowed records that an interaction got its follow-up.
func (a *Adapter) markFollowed(ctx context.Context, token string) {
	if err := a.kv.Set(ctx, followedKey(token), "1", replyWindow+time.Minute); err != nil {
		a.log.Warn("mark interaction answered", "err", err)
	}
}

// resolve fills the action (and value) of an event whose component id is a hash.
func (a *Adapter) resolve(ctx context.Context, ev *chat.Event, hash string) error {
	if ev.Kind == chat.KindForm {
		f, ok, err := a.loadForm(ctx, hash)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("form no longer cached")
		}
		ev.Action = f.Action
		return nil
	}
	action, value, ok, err := a.loadChoice(ctx, hash)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("choice no longer cached")
	}
	ev.Action, ev.Value = action, value
	return nil
}

// ack answers an interaction; the answer is not paced (interaction callbacks are not
// bound to the global rate limit) and must reach Discord within 3 seconds.
func (a *Adapter) ack(i *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
	ctx, cancel := context.WithTimeout(context.Background(), discordgo.InteractionDeadline)
	defer cancel()
	err := a.classify(a.s.InteractionRespond(i, resp, discordgo.WithContext(ctx)), "acknowledge interaction")
	if err != nil {
		a.log.Warn("acknowledge interaction", "interaction", i.ID, "type", resp.Type, "err", err)
	}
	return err
}

func ephemeralText(text string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: text, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
	}
}

// private reports whether the interaction's message is seen by the actor alone.
func private(i *discordgo.Interaction) bool {
	return i.GuildID == "" || (i.Message != nil && i.Message.Flags&discordgo.MessageFlagsEphemeral != 0)
}

// pressResponse acknowledges a button or select: on a private message it updates the
// message so its components are disabled and the chosen one is marked; on a shared
// message (a class prompt) it changes nothing for the others.
func (a *Adapter) pressResponse(i *discordgo.Interaction, pressed string, values []string, loc *i18n.Localizer) *discordgo.InteractionResponse {
	if i.Message == nil || !private(i) {
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	}
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{
			Content: i.Message.Content, Components: disableComponents(i.Message.Components, pressed, values, loc),
			AllowedMentions: noMentions(), Flags: i.Message.Flags & discordgo.MessageFlagsSuppressEmbeds,
		},
	}
}

// submitResponse acknowledges a modal submit like a press of its form button.
func (a *Adapter) submitResponse(i *discordgo.Interaction, formButton string, loc *i18n.Localizer) *discordgo.InteractionResponse {
	if i.Message == nil {
		return &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
		}
	}
	return a.pressResponse(i, formButton, nil, loc)
}

// disableComponents copies a message's components with every button and menu
// disabled; the pressed button is marked with the chosen label, a menu shows the choice.
func disableComponents(rows []discordgo.MessageComponent, pressed string, values []string, loc *i18n.Localizer) []discordgo.MessageComponent {
	out := make([]discordgo.MessageComponent, 0, len(rows))
	for _, r := range rows {
		row, ok := r.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		nr := discordgo.ActionsRow{}
		for _, c := range row.Components {
			switch x := c.(type) {
			case *discordgo.Button:
				b := *x
				if b.Style != discordgo.LinkButton {
					b.Disabled = true
					if b.CustomID == pressed {
						b.Style = discordgo.SuccessButton
						b.Label = clip(loc.T("discord.chosen", "Label", b.Label), 80, "…")
					} else {
						b.Style = discordgo.SecondaryButton
					}
				}
				nr.Components = append(nr.Components, b)
			case *discordgo.SelectMenu:
				sm := *x
				sm.Disabled = true
				sm.Options = append([]discordgo.SelectMenuOption(nil), x.Options...)
				for k := range sm.Options {
					sm.Options[k].Default = false
					if sm.CustomID == pressed {
						for _, v := range values {
							if sm.Options[k].Value == v {
								sm.Options[k].Default = true
							}
						}
					}
				}
				nr.Components = append(nr.Components, sm)
			}
		}
		if len(nr.Components) > 0 {
			out = append(out, nr)
		}
	}
	return out
}

// openForm answers a form button with its modal. The form comes from memory or the KV
// within AckBudget, so the answer still reaches Discord in time.
func (a *Adapter) openForm(i *discordgo.Interaction, hash string, loc *i18n.Localizer) {
	ctx, cancel := context.WithTimeout(context.Background(), a.o.AckBudget)
	f, ok, err := a.loadForm(ctx, hash)
	cancel()
	switch {
	case err != nil:
		a.log.Warn("form lookup", "interaction", i.ID, "err", err)
		_ = a.ack(i, ephemeralText(loc.T("discord.try_again")))
	case !ok:
		_ = a.ack(i, ephemeralText(loc.T("discord.form_expired")))
	default:
		_ = a.ack(i, modal(hash, f))
	}
}

// modal builds the modal of a form: one text input per field, within Discord's limits.
func modal(hash string, f chat.Form) *discordgo.InteractionResponse {
	id := "m" + sep + hash + sep + f.Action
	if len(id) > maxCustomID {
		id = "m" + sep + hash
	}
	rows := make([]discordgo.MessageComponent, 0, len(f.Fields))
	for _, fl := range f.Fields {
		if len(rows) == 5 {
			break
		}
		style := discordgo.TextInputShort
		if fl.Multiline {
			style = discordgo.TextInputParagraph
		}
		maxLen := fl.MaxLen
		if maxLen <= 0 || maxLen > 4000 {
			maxLen = 4000
		}
		label := clip(fl.Label, 45, "…")
		if label == "" {
			label = fl.ID
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{
			CustomID: fl.ID, Label: label, Style: style, Placeholder: clip(fl.Placeholder, 100, "…"),
			Required: fl.Required, MaxLength: maxLen,
		}}})
	}
	title := clip(f.Title, 45, "…")
	if title == "" {
		title = "Kring"
	}
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseModal,
		Data: &discordgo.InteractionResponseData{CustomID: id, Title: title, Components: rows},
	}
}

// modalFields collects a submitted modal's values by text-input id.
func modalFields(d discordgo.ModalSubmitInteractionData) map[string]string {
	out := map[string]string{}
	for _, c := range d.Components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, x := range row.Components {
			if ti, ok := x.(*discordgo.TextInput); ok {
				out[ti.CustomID] = ti.Value
			}
		}
	}
	return out
}

// commandArgs turns command options into named strings; a user option is the user's
// Discord id, which the Engine resolves to a roster person.
func commandArgs(opts []*discordgo.ApplicationCommandInteractionDataOption) map[string]string {
	if len(opts) == 0 {
		return nil
	}
	out := make(map[string]string, len(opts))
	for _, o := range opts {
		switch v := o.Value.(type) {
		case string:
			out[o.Name] = v
		case float64:
			out[o.Name] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			out[o.Name] = strconv.FormatBool(v)
		case nil:
		default:
			out[o.Name] = fmt.Sprint(v)
		}
	}
	return out
}

// onMessage turns what a person typed into an Event: every DM; in the school's server,
// messages in a thread Kring opened (reported with the thread's logical key) and
// class-channel messages that mention Kring or reply to one of its messages. Other
// channel chatter is not read.
func (a *Adapter) onMessage(_ *discordgo.Session, mc *discordgo.MessageCreate) {
	if mc == nil || mc.Message == nil {
		return
	}
	m := mc.Message
	if m.Author == nil || m.Author.Bot || m.WebhookID != "" {
		return
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return
	}
	if m.GuildID != "" {
		if m.GuildID == a.school.Discord.Guild && a.seen.add("m"+m.ID) {
			a.spawn(func(ctx context.Context, h chat.Handler) { a.onServerMessage(ctx, h, m) })
		}
		return
	}
	if m.Content == "" || !a.seen.add("m"+m.ID) {
		return
	}
	// The DM channel is known now: remember it so the next check-in need not open it.
	if _, ok := a.dms.Load(m.Author.ID); !ok {
		a.dms.Store(m.Author.ID, m.ChannelID)
	}
	ev := chat.Event{
		ID: m.ID, Platform: chat.Discord, Channel: m.ChannelID, User: m.Author.ID, DM: true,
		Kind: chat.KindMessage, Text: m.Content, Time: m.Timestamp,
	}
	if ev.Time.IsZero() {
		ev.Time = snowflakeTime(m.ID, a.clock.Now())
	}
	a.spawn(func(ctx context.Context, h chat.Handler) {
		if err := a.kv.Set(ctx, dmKey(m.Author.ID), m.ChannelID, idTTL); err != nil {
			a.log.Warn("cache DM channel", "err", err)
		}
		a.sendReplies(ctx, ev, h.Handle(ctx, ev))
	})
}

// onServerMessage handles a message in the server: in a thread Kring opened it goes to
// the dialog of the thread's key; in a class channel only when it addresses Kring.
func (a *Adapter) onServerMessage(ctx context.Context, h chat.Handler, m *discordgo.Message) {
	bot := a.botUser()
	addressed := false
	for _, u := range m.Mentions {
		if u != nil && u.ID == bot {
			addressed = true
		}
	}
	if r := m.ReferencedMessage; r != nil && r.Author != nil && r.Author.ID == bot {
		addressed = true
	}
	ev := chat.Event{
		ID: m.ID, Platform: chat.Discord, Tenant: m.GuildID, Channel: m.ChannelID, User: m.Author.ID,
		Kind: chat.KindMessage, Text: stripMention(m.Content, bot), Mention: addressed, Time: m.Timestamp,
	}
	if ev.Time.IsZero() {
		ev.Time = snowflakeTime(m.ID, a.clock.Now())
	}
	parent, key, err := a.threadOf(ctx, m.ChannelID)
	switch {
	case err != nil:
		a.log.Warn("thread message could not be matched to its dialog", "message", m.ID, "err", err)
		if _, enrolled := a.school.ByPlatform(string(chat.Discord), m.Author.ID); enrolled {
			a.sendReplies(ctx, ev, []chat.Message{{Text: a.localizer(m.Author.ID, "").T("discord.try_again")}})
		}
		return
	case key != "":
		ev.Channel, ev.Thread, ev.ThreadKey = parent, m.ChannelID, key
	case !addressed || !a.classChannel(m.ChannelID):
		return // chatter, or a channel that is no class's
	}
	if ev.Text == "" {
		if key != "" && m.Content == "" && !a.o.MessageContent {
			a.unreadable(ctx, ev)
		}
		return
	}
	a.sendReplies(ctx, ev, h.Handle(ctx, ev))
}

// unreadable tells a pupil, once per thread, that Discord did not give Kring the text
// they typed in its thread (no MESSAGE_CONTENT intent and no mention), and how to
// answer instead, so their answer does not vanish without a word.
func (a *Adapter) unreadable(ctx context.Context, ev chat.Event) {
	if _, enrolled := a.school.ByPlatform(string(chat.Discord), ev.User); !enrolled {
		return
	}
	if !a.seen.add("u" + ev.User + "|" + ev.Thread) {
		return
	}
	a.sendReplies(ctx, ev, []chat.Message{{Text: a.localizer(ev.User, "").T("discord.thread_unread")}})
}

func (a *Adapter) botUser() string {
	a.appMu.RLock()
	defer a.appMu.RUnlock()
	if a.botID != "" {
		return a.botID
	}
	return a.appID
}

// stripMention removes mentions of the bot from a message's text: "@Kring 2" answers 2.
func stripMention(text, bot string) string {
	if bot != "" {
		text = strings.NewReplacer("<@"+bot+">", " ", "<@!"+bot+">", " ").Replace(text)
	}
	return strings.TrimSpace(text)
}

func (a *Adapter) classChannel(ch string) bool {
	for _, c := range a.school.Classes {
		if c.Discord.Channel == ch {
			return true
		}
	}
	return false
}

func threadKeyKey(thread string) string { return "threadkey:" + thread }

// threadOf returns the class channel and logical key of a thread Kring opened ("" for
// any other channel). Known answers are kept in memory: a channel id never changes
// from one to the other.
func (a *Adapter) threadOf(ctx context.Context, ch string) (parent, key string, err error) {
	if v, ok := a.threads.Load(ch); ok {
		parent, key, _ = strings.Cut(v.(string), "|")
		return parent, key, nil
	}
	if a.classChannel(ch) {
		return "", "", nil
	}
	v, ok, err := a.kv.Get(ctx, threadKeyKey(ch))
	if err != nil {
		return "", "", fmt.Errorf("read thread key: %w", err)
	}
	if !ok {
		v = ""
	}
	a.threads.Store(ch, v)
	parent, key, _ = strings.Cut(v, "|")
	return parent, key, nil
}

// sendReplies delivers the Engine's immediate replies to the actor: as interaction
// follow-ups (ephemeral outside DMs) or in the DM. They are few (errors, "not enrolled"),
// so a short retry here replaces the outbox.
func (a *Adapter) sendReplies(ctx context.Context, ev chat.Event, msgs []chat.Message) {
	for n, m := range msgs {
		if m.ReplyRef == "" {
			m.ReplyRef = ev.ReplyRef
		}
		if !ev.DM {
			m.Ephemeral = true
		}
		if m.ID == "" {
			m.ID = "reply:" + ev.ID + ":" + strconv.Itoa(n)
		}
		d := chat.Delivery{Message: m, Address: chat.Address{Tenant: ev.Tenant, User: ev.User}, Attempt: 1}
		for ; d.Attempt <= 3; d.Attempt++ {
			err := a.Send(ctx, d)
			if err == nil {
				break
			}
			var re *chat.RetryError
			if !errors.As(err, &re) || d.Attempt == 3 {
				a.log.Warn("reply not delivered", "event", ev.ID, "err", err)
				break
			}
			t := time.NewTimer(re.After)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

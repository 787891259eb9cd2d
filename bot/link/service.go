package link

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
)

// Notifier queues a staff-only message to a roster person, once per eventID.
type Notifier func(ctx context.Context, eventID, to string, text func(L *i18n.Localizer) string) error

// Service answers the link commands (/link, /unlink, /linkstatus) and people Kring
// does not know yet. It is a dialog for the Engine's command table, but it acts at once
// (bot.Service) because links live outside any person's state.
type Service struct {
	links  *Links
	cat    *i18n.Catalog
	notify Notifier
	locale func(*config.Person) string
}

// NewService returns the link commands over links; notify tells admins about refusals.
func NewService(links *Links, cat *i18n.Catalog, notify Notifier) *Service {
	return &Service{links: links, cat: cat, notify: notify}
}

// Bind sets how admins are told about refused links and how a person's language is
// chosen (the Engine's Notify and LocaleOf, which exist only after the Engine that takes
// this service is built). Without locale the school file's language is used.
func (s *Service) Bind(n Notifier, locale func(*config.Person) string) {
	s.notify, s.locale = n, locale
}

// Name implements dialog.Dialog.
func (*Service) Name() string { return "link" }

// Commands implements dialog.Dialog.
func (*Service) Commands() []dialog.CommandSpec {
	platforms := []string{string(chat.Discord), string(chat.Slack)}
	return []dialog.CommandSpec{
		{Name: "link", Options: []dialog.OptionSpec{{Name: "code", Kind: dialog.OptText, Required: true}}},
		{Name: "unlink", Roles: []config.Role{config.Admin, config.Mentor}, Options: []dialog.OptionSpec{
			{Name: "person", Kind: dialog.OptPerson, Required: true},
			{Name: "platform", Kind: dialog.OptChoice, Choices: platforms},
		}},
		{Name: "linkstatus", Roles: []config.Role{config.Admin, config.Mentor}, Options: []dialog.OptionSpec{
			{Name: "class", Kind: dialog.OptClass},
		}},
	}
}

// Step is never called: the Engine serves these commands through Serve.
func (*Service) Step(dialog.Input) (dialog.Result, error) {
	return dialog.Result{}, errors.New("link commands are served directly")
}

func reply(ev chat.Event, text string) []chat.Message {
	return []chat.Message{{To: chat.Target{Kind: chat.ToPerson}, Text: text, Ephemeral: true, ReplyRef: ev.ReplyRef}}
}

// Unknown answers an account Kring does not know: a code (typed alone, or after
// /link or /koppel) links it; anything else gets how to link.
func (s *Service) Unknown(ctx context.Context, ev chat.Event) (*config.Person, []chat.Message) {
	if ev.Platform == chat.Shell || ev.Platform == "" {
		return nil, nil
	}
	// Linked a moment ago through another process? One round trip, only for strangers
	// (and at most one a second).
	if err := s.links.refreshForStranger(ctx); err == nil {
		if p, ok := s.links.Person(ev.Platform, ev.User); ok {
			return p, nil
		}
	}
	L := s.cat.For(s.links.school.Locale)
	code, attempt := s.codeIn(ev)
	if !attempt {
		if ev.Kind == chat.KindMessage && !ev.DM {
			return nil, nil // class-channel chatter is not for Kring
		}
		return nil, reply(ev, L.T("link.unknown", "Example", "ACEF-HJKM"))
	}
	return nil, s.redeem(ctx, ev, code, L)
}

// codeIn finds a link attempt in an event: /link CODE, /koppel CODE, or a code alone.
func (s *Service) codeIn(ev chat.Event) (string, bool) {
	switch ev.Kind {
	case chat.KindCommand:
		if !strings.EqualFold(ev.Command, "link") && !s.isLinkWord(ev.Command) {
			return "", false
		}
		if c := ev.Args["code"]; c != "" {
			return c, true
		}
		return ev.ArgText, true
	case chat.KindMessage:
		if !ev.DM {
			return "", false
		}
		text := strings.TrimSpace(ev.Text)
		word, rest, _ := strings.Cut(strings.TrimPrefix(text, "/"), " ")
		if s.isLinkWord(word) {
			return rest, true
		}
		if _, ok := Normalize(text); ok {
			return text, true
		}
	}
	return "", false
}

func (s *Service) isLinkWord(w string) bool {
	w = strings.ToLower(strings.TrimSpace(w))
	if w == "link" {
		return true
	}
	for _, lang := range i18n.Languages {
		if w == strings.ToLower(s.cat.For(lang).T("cmd.link.name")) {
			return true
		}
	}
	return false
}

// Serve implements bot.Service.
func (s *Service) Serve(ctx context.Context, ev chat.Event, p *config.Person, args map[string]string, L *i18n.Localizer) []chat.Message {
	switch strings.ToLower(ev.Command) {
	case "link":
		return s.redeem(ctx, ev, args["code"], L)
	case "unlink":
		return s.unlink(ctx, ev, p, args, L)
	case "linkstatus":
		return s.status(ev, p, args["class"], L)
	}
	return reply(ev, L.T("core.unknown_command", "Command", chat.Literal(ev.Command)))
}

// redeem answers a link code sent from the event's account (known or not).
func (s *Service) redeem(ctx context.Context, ev chat.Event, code string, L *i18n.Localizer) []chat.Message {
	log := s.links.log.With("event", ev.ID, "platform", ev.Platform)
	if _, ok := Normalize(code); !ok {
		// Not the shape of a code (nothing after /koppel, a typo in length): explain the
		// shape. Not counted as a guess: it cannot match any code.
		return reply(ev, L.T("link.wrong", "Example", "ACEF-HJKM"))
	}
	r, err := s.links.Redeem(ctx, ev.Platform, ev.User, code)
	if err != nil {
		log.Error("redeem a link code", "err", err)
		return reply(ev, L.T("core.store_down"))
	}
	now := s.links.clk.Now()
	switch r.Outcome {
	case Wrong:
		log.Info("wrong link code", "tries", r.Tries)
		if !r.Until.IsZero() && r.Tries >= s.links.policy.BlockAfter {
			return reply(ev, L.T("link.blocked", "Until", s.clockTime(r.Until)))
		}
		if !r.Until.IsZero() {
			return reply(ev, L.T("link.wrong_wait", "Wait", waitText(L, r.Until.Sub(now))))
		}
		return reply(ev, L.T("link.wrong", "Example", "ACEF-HJKM"))
	case Wait:
		log.Info("link code refused: too many wrong codes", "tries", r.Tries)
		if r.Tries >= s.links.policy.BlockAfter {
			return reply(ev, L.T("link.blocked", "Until", s.clockTime(r.Until)))
		}
		return reply(ev, L.T("link.wait", "Wait", waitText(L, r.Until.Sub(now))))
	case Used:
		log.Info("used link code", "person", r.Person.ID)
		return reply(ev, L.T("link.used"))
	case Expired:
		log.Info("expired link code")
		return reply(ev, L.T("link.expired"))
	case Same:
		return reply(ev, s.personL(r.Person).T("link.same", "Name", chat.Literal(firstName(r.Person.Name))))
	case Taken:
		log.Warn("link refused: the account is linked to someone else", "person", r.Person.ID, "owner", r.Owner)
		s.audit(ctx, now, r.Owner, "link-refused", r.Person.ID, string(ev.Platform)+" account of "+r.Owner)
		s.tellAdmins(ctx, ev, r)
		return reply(ev, L.T("link.taken"))
	}
	log.Info("account linked", "person", r.Person.ID)
	s.audit(ctx, now, r.Person.ID, "link", r.Person.ID, string(ev.Platform)+" (code)")
	PL := s.personL(r.Person)
	return reply(ev, PL.T("link.ok", "Name", chat.Literal(firstName(r.Person.Name)), "Platform", platformName(ev.Platform)))
}

func (s *Service) personL(p *config.Person) *i18n.Localizer {
	if s.locale != nil {
		return s.cat.For(s.locale(p))
	}
	return s.cat.For(s.links.school.LocaleFor(p))
}

func (s *Service) clockTime(t time.Time) string {
	loc, err := time.LoadLocation(s.links.school.Timezone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("15:04")
}

func waitText(L *i18n.Localizer, d time.Duration) string {
	if d < time.Minute {
		return L.N("link.seconds", int((d+time.Second-1)/time.Second))
	}
	return L.N("link.minutes", int((d+time.Minute-1)/time.Minute))
}

// tellAdmins tells every admin, once per account and code, that a link was refused.
func (s *Service) tellAdmins(ctx context.Context, ev chat.Event, r Result) {
	if s.notify == nil {
		return
	}
	h := sha256.Sum256([]byte(string(ev.Platform) + ":" + ev.User + ":" + r.Person.ID))
	for _, a := range s.links.school.People {
		if !a.Has(config.Admin) || !a.Active() {
			continue
		}
		owner := r.Owner
		if o, ok := s.links.school.Person(r.Owner); ok {
			owner = o.Name
		}
		id := "link-taken:" + hex.EncodeToString(h[:8]) + ":" + a.ID
		err := s.notify(ctx, id, a.ID, func(L *i18n.Localizer) string {
			return L.T("link.admin_taken", "Name", chat.Literal(r.Person.Name), "Owner", chat.Literal(owner), "Platform", platformName(ev.Platform))
		})
		if err != nil {
			s.links.log.Warn("tell admin about a refused link", "admin", a.ID, "err", err)
		}
	}
}

func (s *Service) audit(ctx context.Context, t time.Time, actor, action, subject, detail string) {
	doc, _ := json.Marshal(record.Audit{Time: t, Actor: actor, Action: action, Subject: subject, Detail: detail})
	if err := s.links.st.AppendAudit(ctx, t, string(doc)); err != nil {
		s.links.log.Error("audit a link", "action", action, "person", subject, "err", err)
	}
}

// Audit writes an audit entry for a link change made outside a chat (kring commands).
func (l *Links) Audit(ctx context.Context, actor, action, subject, detail string) error {
	t := l.clk.Now()
	doc, err := json.Marshal(record.Audit{Time: t, Actor: actor, Action: action, Subject: subject, Detail: detail})
	if err != nil {
		return fmt.Errorf("encode audit: %w", err)
	}
	return l.st.AppendAudit(ctx, t, string(doc))
}

func (s *Service) unlink(ctx context.Context, ev chat.Event, actor *config.Person, args map[string]string, L *i18n.Localizer) []chat.Message {
	target, ok := s.links.school.Person(args["person"])
	if !ok {
		return reply(ev, L.T("core.unknown_person", "Ref", chat.Literal(args["person"]), "Example", "anna"))
	}
	if !actor.Has(config.Admin) && target.Mentor != actor.ID {
		return reply(ev, L.T("core.not_your_pupil", "Name", chat.Literal(target.Name)))
	}
	platforms := Platforms
	if args["platform"] != "" {
		platforms = []chat.Platform{chat.Platform(args["platform"])}
	}
	var done []string
	for _, pl := range platforms {
		had, err := s.links.Unlink(ctx, pl, target.ID)
		if err != nil {
			s.links.log.Error("unlink", "person", target.ID, "platform", pl, "err", err)
			return reply(ev, L.T("core.store_down"))
		}
		if had {
			done = append(done, platformName(pl))
			s.audit(ctx, s.links.clk.Now(), actor.ID, "unlink", target.ID, string(pl))
		}
	}
	if len(done) == 0 {
		return reply(ev, L.T("link.nothing_to_unlink", "Name", chat.Literal(target.Name)))
	}
	return reply(ev, L.T("link.unlinked", "Name", chat.Literal(target.Name), "Platforms", strings.Join(done, ", ")))
}

// status lists who is linked where: a mentor's mentees, or a class.
func (s *Service) status(ev chat.Event, actor *config.Person, class string, L *i18n.Localizer) []chat.Message {
	school := s.links.school
	var people []*config.Person
	title := ""
	switch {
	case class != "":
		if !actor.Has(config.Admin) && !actor.InClass(class) {
			return reply(ev, L.T("link.not_your_class", "Class", chat.Literal(class)))
		}
		people = school.Members(class, config.Pupil)
		title = class
		if c, ok := school.Class(class); ok && c.Name != "" {
			title = c.Name
		}
	case actor.Has(config.Mentor):
		people = school.Mentees(actor.ID)
		title = L.T("link.your_mentees")
	default:
		for _, c := range school.Classes {
			people = append(people, school.Members(c.ID, config.Pupil)...)
		}
		title = L.T("link.all_pupils")
	}
	if len(people) == 0 {
		return reply(ev, L.T("link.status_none"))
	}
	var b strings.Builder
	b.WriteString(L.T("link.status_head", "Title", chat.Literal(title)))
	linked := 0
	for _, p := range people {
		marks := make([]string, 0, len(Platforms))
		some := false
		for _, pl := range Platforms {
			m := "–"
			if s.links.Account(p, pl) != "" {
				m = "✓"
				some = true
			}
			marks = append(marks, platformName(pl)+" "+m)
		}
		if some {
			linked++
		}
		b.WriteString("\n" + L.T("link.status_line", "Name", chat.Literal(p.Name), "Marks", strings.Join(marks, ", ")))
	}
	b.WriteString("\n" + L.T("link.status_total", "Linked", linked, "Total", len(people)))
	return []chat.Message{{To: chat.Target{Kind: chat.ToPerson}, Text: b.String(), Ephemeral: true, ReplyRef: ev.ReplyRef}}
}

func platformName(p chat.Platform) string {
	switch p {
	case chat.Discord:
		return "Discord"
	case chat.Slack:
		return "Slack"
	}
	return string(p)
}

func firstName(name string) string {
	f, _, _ := strings.Cut(name, " ")
	return f
}

package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/store"
)

// Directory resolves platform accounts to roster people and back. The Engine asks it
// for every event and every message, so it must answer from memory.
type Directory interface {
	// Person returns the active roster person who uses the account.
	Person(platform chat.Platform, user string) (*config.Person, bool)
	// Account returns the person's account id on platform, "" when they have none.
	Account(p *config.Person, platform chat.Platform) string
}

// Onboarding answers an event from an account the Directory does not know: a person
// sending a link code, say. It returns the person when the account turns out to be
// known after all (linked a moment ago by another process), else the replies; nil
// replies leave the Engine's own "not enrolled" answer.
type Onboarding interface {
	Unknown(ctx context.Context, ev chat.Event) (*config.Person, []chat.Message)
}

// Service is a dialog whose commands act at once rather than through Step: linking
// and unlinking accounts change the Directory, which lives outside the person's state.
// The Engine checks roles and parses options first, as for any command.
type Service interface {
	dialog.Dialog
	Serve(ctx context.Context, ev chat.Event, p *config.Person, args map[string]string, L *i18n.Localizer) []chat.Message
}

// PersonFor resolves a platform account to an active roster person, with the links
// made at runtime; adapters use it for their own look-ups (App Home, languages).
func (e *Engine) PersonFor(platform chat.Platform, user string) (*config.Person, bool) {
	return e.dir.Person(platform, user)
}

// AccountOf returns the person's account id on platform, "" when none.
func (e *Engine) AccountOf(p *config.Person, platform chat.Platform) string {
	return e.dir.Account(p, platform)
}

// fileDirectory is the school file's ids alone.
type fileDirectory struct{ s *config.School }

func (d fileDirectory) Person(platform chat.Platform, user string) (*config.Person, bool) {
	p, ok := d.s.ByPlatform(string(platform), user)
	return p, ok && p.Active()
}

func (d fileDirectory) Account(p *config.Person, platform chat.Platform) string {
	switch platform {
	case chat.Discord:
		return p.Discord
	case chat.Slack:
		return p.Slack
	case chat.Shell:
		return p.ID
	}
	return ""
}

// Notify queues a staff-only message to person to, outside any dialog step (one round
// trip). eventID makes it happen once however often it is asked for.
func (e *Engine) Notify(ctx context.Context, eventID, to string, text func(L *i18n.Localizer) string) error {
	p, ok := e.school.Person(to)
	if !ok {
		return fmt.Errorf("notify %s: not on the roster", to)
	}
	now := e.clk.Now()
	b := e.st.NewBatch(p.ID, eventID, store.AnyVersion)
	msg := chat.Message{To: chat.Target{Kind: chat.ToPerson, Person: p.ID}, Text: text(e.localizerFor(p)), Staff: true}
	r := stepRequest{ev: chat.Event{ID: eventID}, person: p, log: e.log}
	if err := e.queue(b, r, msg, e.ob.NewID(now, eventHash(eventID), 0)); err != nil {
		return fmt.Errorf("notify %s: %w", to, err)
	}
	if len(b.Outbox) == 0 {
		return fmt.Errorf("notify %s: no connected platform reaches them", to)
	}
	if err := b.Commit(ctx); err != nil && !errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("notify %s: %w", to, err)
	}
	e.ob.Wake()
	return nil
}

package link

import (
	"context"
	"errors"
	"fmt"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
)

// ErrNoAccount means no account has the address.
var ErrNoAccount = errors.New("no account with this e-mail address")

// EmailReport is what LinkByEmail did.
type EmailReport struct {
	Linked []*config.Person
	// Already had a Slack account (from the file or an earlier link).
	Already []*config.Person
	// NoEmail have no e-mail address on the roster.
	NoEmail []*config.Person
	// Unmatched have an address no Slack member has.
	Unmatched []*config.Person
	// Taken were found, but the account is linked to someone else (Owner by person id).
	Taken map[string]string
}

// LinkByEmail links the Slack account of every active person in people that has an
// e-mail address on the roster and no Slack account yet, found with lookup. With
// dryRun nothing is written. progress (optional) is told after each person.
func (l *Links) LinkByEmail(ctx context.Context, people []*config.Person, lookup func(context.Context, string) (string, error), actor string, dryRun bool, progress func(done, total int)) (EmailReport, error) {
	rep := EmailReport{Taken: map[string]string{}}
	for i, p := range people {
		if progress != nil && i > 0 {
			progress(i, len(people))
		}
		switch {
		case !p.Active():
			continue
		case l.Account(p, chat.Slack) != "":
			rep.Already = append(rep.Already, p)
			continue
		case p.Email == "":
			rep.NoEmail = append(rep.NoEmail, p)
			continue
		}
		user, err := lookup(ctx, p.Email)
		if errors.Is(err, ErrNoAccount) {
			rep.Unmatched = append(rep.Unmatched, p)
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("look up %s: %w", p.ID, err)
		}
		if q, ok := l.Person(chat.Slack, user); ok && q.ID != p.ID {
			rep.Taken[p.ID] = q.ID
			continue
		}
		if !dryRun {
			var taken ErrTaken
			err := l.Link(ctx, chat.Slack, p.ID, user)
			if errors.As(err, &taken) {
				rep.Taken[p.ID] = taken.Owner
				continue
			}
			if err != nil {
				return rep, err
			}
			if err := l.Audit(ctx, actor, "link", p.ID, "slack (e-mail)"); err != nil {
				return rep, err
			}
		}
		rep.Linked = append(rep.Linked, p)
	}
	if progress != nil {
		progress(len(people), len(people))
	}
	return rep, nil
}

package slack

import (
	"context"
	"fmt"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
)

// moodFaces shows a mood 1-5 at a glance; 0 (not answered) has none.
var moodFaces = [...]string{"", "😞", "🙁", "😐", "🙂", "😄"}

func moodFace(n int) string {
	if n < 1 || n >= len(moodFaces) {
		return "·"
	}
	return moodFaces[n]
}

// refreshHome delivers a home-page refresh from the outbox (chat.Message.Home): the
// person's current page, built by the Engine now, on their App Home tab.
func (a *Adapter) refreshHome(ctx context.Context, person string) error {
	hs := a.p().home
	if hs == nil {
		// Run has not handed over the Engine yet: the outbox tries again shortly.
		return &chat.RetryError{After: 5 * time.Second, Err: fmt.Errorf("slack: home page of %s before the Engine is known", person)}
	}
	h, err := hs.Home(ctx, person)
	if err != nil {
		return &chat.RetryError{After: 30 * time.Second, Err: fmt.Errorf("slack: build home page of %s: %w", person, err)}
	}
	return a.PublishHome(ctx, h)
}

// PublishHome shows h on the person's App Home tab (views.publish). People without
// a Slack id are skipped: they use another platform.
func (a *Adapter) PublishHome(ctx context.Context, h chat.Home) error {
	p, ok := a.opt.School.Person(h.Person)
	if !ok || a.slackID(p) == "" {
		return nil
	}
	return a.publish(ctx, a.slackID(p), a.homeBlocks(h, p))
}

// publishOnOpen answers app_home_opened: the person's page, or a polite note for
// someone who is not on the roster.
func (a *Adapter) publishOnOpen(ctx context.Context, user string) {
	p, ok := a.person(user)
	var blocks []slackgo.Block
	switch {
	case !ok:
		loc := a.cat.For(a.opt.School.Locale)
		blocks = []slackgo.Block{slackgo.NewSectionBlock(mrkdwnText(a.md(loc.T("core.not_enrolled"))), nil, nil)}
	case a.p().home == nil:
		blocks = a.homeBlocks(chat.Home{Person: p.ID, Name: p.Name, Lang: a.localeOf(p)}, p)
	default:
		h, err := a.p().home.Home(ctx, p.ID)
		if err != nil {
			a.log.Warn("home data unavailable", "person", p.ID, "err", err)
			h = chat.Home{Person: p.ID, Name: p.Name, Lang: a.localeOf(p)}
		}
		blocks = a.homeBlocks(h, p)
	}
	if err := a.publish(ctx, user, blocks); err != nil {
		a.log.Warn("views.publish failed", "err", err)
	}
}

func (a *Adapter) publish(ctx context.Context, user string, blocks []slackgo.Block) error {
	if err := a.pace.wait(ctx, "views.publish", ""); err != nil {
		return err
	}
	if len(blocks) > maxHomeBlocks {
		blocks = blocks[:maxHomeBlocks]
	}
	_, err := a.api.PublishViewContext(ctx, slackgo.PublishViewContextRequest{
		UserID: user,
		View:   slackgo.HomeTabViewRequest{Type: slackgo.VTHomeTab, Blocks: slackgo.Blocks{BlockSet: blocks}},
	})
	if err != nil {
		return a.fail("views.publish", "", fmt.Errorf("home of %s: %w", user, err))
	}
	return nil
}

// homeBlocks lays out a person's page: a pupil's goal and recent check-ins, a
// mentor's mentees with their last check-in and mood arrow. Every value that a
// person wrote (goals, names) is neutralised.
func (a *Adapter) homeBlocks(h chat.Home, p *config.Person) []slackgo.Block {
	lang := h.Lang
	if lang == "" {
		lang = a.localeOf(p)
	}
	loc := a.cat.For(lang)
	name := h.Name
	if name == "" {
		name = p.Name
	}
	blocks := []slackgo.Block{
		slackgo.NewHeaderBlock(plainText(truncate(plain(loc.T("slack.home.title", "Name", chat.Literal(name))), 150))),
	}
	section := func(lines []string) {
		for _, c := range splitText(strings.Join(lines, "\n"), maxSectionText) {
			blocks = append(blocks, slackgo.NewSectionBlock(mrkdwnText(c), nil, nil))
		}
	}
	if p.Has(config.Pupil) || h.Goal != "" || len(h.Recent) > 0 {
		if h.Goal != "" {
			section([]string{a.md(loc.T("slack.home.goal_heading")),
				a.md(loc.T("slack.home.goal", "Goal", chat.Literal(h.Goal), "Date", h.GoalDate))})
		} else {
			section([]string{a.md(loc.T("slack.home.goal_heading")), a.md(loc.T("slack.home.no_goal"))})
		}
		lines := []string{a.md(loc.T("slack.home.recent_heading"))}
		for _, c := range h.Recent {
			lines = append(lines, a.checkInLine(loc, c))
		}
		if len(h.Recent) == 0 {
			lines = append(lines, a.md(loc.T("slack.home.no_checkins")))
		}
		blocks = append(blocks, slackgo.NewDividerBlock())
		section(lines)
	}
	if p.Has(config.Mentor) || len(h.Mentees) > 0 {
		lines := []string{a.md(loc.T("slack.home.mentees_heading"))}
		for _, m := range h.Mentees {
			lines = append(lines, a.menteeLine(loc, m))
		}
		if len(h.Mentees) == 0 {
			lines = append(lines, a.md(loc.T("slack.home.no_mentees")))
		}
		blocks = append(blocks, slackgo.NewDividerBlock())
		section(lines)
	}
	blocks = append(blocks, slackgo.NewContextBlock("", mrkdwnText(a.md(loc.T("slack.home.footer")))))
	return blocks
}

func (a *Adapter) checkInLine(loc *i18n.Localizer, c chat.HomeCheckIn) string {
	status := loc.T("slack.home.status." + c.Status)
	if !a.cat.Has(loc.Lang(), "slack.home.status."+c.Status) {
		status = chat.Literal(c.Status)
	}
	if c.Goal == "" {
		return a.md(loc.T("slack.home.checkin", "Date", c.Date, "Mood", moodFace(c.Mood), "Status", status))
	}
	return a.md(loc.T("slack.home.checkin_goal", "Date", c.Date, "Mood", moodFace(c.Mood), "Status", status,
		"Goal", chat.Literal(c.Goal)))
}

func (a *Adapter) menteeLine(loc *i18n.Localizer, m chat.HomeMentee) string {
	if m.LastDate == "" {
		return a.md(loc.T("slack.home.mentee_never", "Name", chat.Literal(m.Name)))
	}
	trend := "slack.home.trend.flat"
	switch {
	case m.Trend > 0:
		trend = "slack.home.trend.up"
	case m.Trend < 0:
		trend = "slack.home.trend.down"
	}
	return a.md(loc.T("slack.home.mentee", "Name", chat.Literal(m.Name), "Date", m.LastDate,
		"Mood", moodFace(m.LastMood), "Trend", loc.T(trend)))
}

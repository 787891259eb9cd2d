package checkin

import (
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
)

// helpDay runs cas's check-in up to a help request and returns the closing line and
// the relayed staff messages.
func helpDay(s *sim) (closing chat.Message, relay []chat.Message) {
	s.start("cas")
	s.press("cas", "checkin.open", "skip")
	s.press("cas", "checkin.mood", "3")
	s.text("cas", "Wiskunde")
	res := s.text("cas", "Ik snap breuken niet")
	for _, m := range res.Messages {
		if m.Staff {
			relay = append(relay, m)
		} else {
			closing = m
		}
	}
	return closing, relay
}

// A help request for a mentor no connected platform knows reaches the care contact,
// and the pupil reads who got it (not "your mentor").
func TestHelpForAnUnreachableMentorReachesTheCareContact(t *testing.T) {
	s := newSim(t, true)
	s.unreachable = map[string]bool{"mees": true}
	closing, relay := helpDay(s)
	if len(relay) != 1 || relay[0].To.Person != "zoe" || !strings.Contains(relay[0].Text, chat.Literal("Ik snap breuken niet")) {
		t.Fatalf("help relayed as %+v, want one staff message to the care contact", relay)
	}
	if len(relay[0].Choices) != 1 {
		t.Errorf("the care contact's copy offers %+v, want the nod (care may nod)", relay[0].Choices)
	}
	if !hasText(closing, s.T("cas", "delivery.help_to_care")) || hasText(closing, s.T("cas", "checkin.done.help")) {
		t.Errorf("the pupil was not told the care contact got it: %q", closing.Text)
	}
}

// With neither mentor nor care contact reachable, an admin gets it; with nobody, the
// pupil is told the truth.
func TestHelpFallsToTheAdminThenTellsTheTruth(t *testing.T) {
	s := newSim(t, true)
	s.unreachable = map[string]bool{"mees": true, "zoe": true}
	closing, relay := helpDay(s)
	if len(relay) == 0 {
		t.Fatal("help relayed to nobody while an admin can be reached")
	}
	for _, m := range relay {
		if p, _ := s.school.Person(m.To.Person); p == nil || !p.Has(config.Admin) {
			t.Errorf("help relayed to %s, not an admin", m.To.Person)
		}
		if len(m.Choices) != 0 {
			t.Errorf("an admin's copy offers %+v; only the mentor or care may nod", m.Choices)
		}
	}
	if !hasText(closing, s.T("cas", "delivery.help_to_admin")) {
		t.Errorf("the pupil was not told the admin got it: %q", closing.Text)
	}

	s = newSim(t, true)
	s.unreachable = map[string]bool{"mees": true, "zoe": true}
	for _, p := range s.school.People {
		if p.Has(config.Admin) {
			s.unreachable[p.ID] = true
		}
	}
	closing, relay = helpDay(s)
	if len(relay) != 0 {
		t.Fatalf("help relayed to %+v, who cannot be reached", relay)
	}
	if !hasText(closing, s.T("cas", "delivery.help_nobody")) {
		t.Errorf("the pupil was not told nobody got it: %q", closing.Text)
	}
}

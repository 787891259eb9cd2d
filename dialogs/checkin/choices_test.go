package checkin

import (
	"slices"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/chat"
)

// TestChoiceByEmojiCaseAndAccents: a pupil may type a button's emoji, or its label in
// any case, with or without accents (issue 13).
func TestChoiceByEmojiCaseAndAccents(t *testing.T) {
	cases := []struct {
		name, pupil, at, text, wantStep string
		check                           func(t *testing.T, st *state)
	}{
		{"mood emoji", "cas", stepMood, "😄", stepGoal, func(t *testing.T, st *state) { wantInt(t, st.Rec.Mood, 5) }},
		{"mood emoji with skin-tone-free twin", "cas", stepMood, " 🙂 ", stepGoal, func(t *testing.T, st *state) { wantInt(t, st.Rec.Mood, 4) }},
		{"mood label shouted", "cas", stepMood, "NIET ZO GOED", stepGoal, func(t *testing.T, st *state) { wantInt(t, st.Rec.Mood, 2) }},
		{"plan emoji", "anna", stepPlan, "👍", stepHelp, nil},
		{"plan word with accent dropped", "anna", stepPlan, "OKE", stepHelp, nil},
		{"item without its accent", "bram", stepChoose, "een", stepHelp, func(t *testing.T, st *state) {
			if st.Rec.Goal != "Eén" {
				t.Errorf("goal %q", st.Rec.Goal)
			}
		}},
		{"own-goal emoji without its variation selector", "bram", stepChoose, "✏", stepGoal, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(t, false)
			s.setPlan("2b", s.today(), "Eén; Twee; Drie")
			reach(t, s, c.pupil, c.at)
			s.text(c.pupil, c.text)
			st := s.st(c.pupil)
			if st.Step != c.wantStep {
				t.Fatalf("typed %q at %s: now at %s, want %s", c.text, c.at, st.Step, c.wantStep)
			}
			if c.check != nil {
				c.check(t, st)
			}
		})
	}
	// Two buttons with one emoji: ask rather than guess.
	two := []chat.Choice{{Value: "a", Label: "⭐ Een"}, {Value: "b", Label: "⭐ Twee"}}
	if v, ok := matchChoice("⭐", two, true); ok {
		t.Errorf("ambiguous emoji matched %q", v)
	}
	if v, ok := matchChoice("⭐️", []chat.Choice{{Value: "a", Label: "⭐ Een"}}, true); !ok || v != "a" {
		t.Errorf("emoji with variation selector: %q %v", v, ok)
	}
}

func wantInt(t *testing.T, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("got %d, want %d", got, want)
	}
}

// TestDidYouMeanChoice: a goal of just "1" right after a numbered question asks "did
// you mean choice 1?" and carries on with either answer.
func TestDidYouMeanChoice(t *testing.T) {
	toOwnGoal := func(s *sim) {
		s.setPlan("2b", s.today(), "Eén; Twee; Drie")
		reach(t, s, "bram", stepChoose)
		s.press("bram", "checkin.choose", "own")
	}
	t.Run("the plan item after all", func(t *testing.T) {
		s := newSim(t, false)
		toOwnGoal(s)
		m := one(t, s.text("bram", "1"))
		if !hasText(m, s.T("bram", "checkin.goal.did_you_mean_item", "N", 1, "Item", chat.Literal("Eén"))) {
			t.Errorf("asked %q", m.Text)
		}
		if got := values(m.Choices); !slices.Equal(got, []string{"pick", "keep"}) || m.Choices[0].Action != "checkin.goal" {
			t.Errorf("choices %v", got)
		}
		if st := s.st("bram"); st.Step != stepGoal || st.Confirm != "1" || st.Rec.Goal != "" {
			t.Errorf("state %+v", st)
		}
		s.press("bram", "checkin.goal", "pick")
		if st := s.st("bram"); st.Step != stepHelp || st.Rec.Goal != "Eén" || st.Confirm != "" {
			t.Errorf("after pick: %+v", st)
		}
	})
	t.Run("the number as the goal", func(t *testing.T) {
		s := newSim(t, false)
		toOwnGoal(s)
		s.text("bram", "1")
		s.press("bram", "checkin.goal", "keep")
		if st := s.st("bram"); st.Step != stepHelp || st.Rec.Goal != "1" {
			t.Errorf("after keep: %+v", st)
		}
	})
	t.Run("the same number again", func(t *testing.T) {
		s := newSim(t, false)
		toOwnGoal(s)
		s.text("bram", "1")
		s.text("bram", " 1 ")
		if st := s.st("bram"); st.Step != stepHelp || st.Rec.Goal != "1" {
			t.Errorf("after insisting: %+v", st)
		}
	})
	t.Run("words instead", func(t *testing.T) {
		s := newSim(t, false)
		toOwnGoal(s)
		s.text("bram", "1")
		s.text("bram", "Hoofdstuk 1 af")
		if st := s.st("bram"); st.Step != stepHelp || st.Rec.Goal != "Hoofdstuk 1 af" || st.Confirm != "" {
			t.Errorf("after words: %+v", st)
		}
	})
	t.Run("after the mood question, no item to offer", func(t *testing.T) {
		s := newSim(t, false)
		reach(t, s, "cas", stepGoal) // self-led: the goal question follows the mood
		m := one(t, s.text("cas", "4"))
		if !strings.HasPrefix(m.Text, s.T("cas", "checkin.goal.did_you_mean", "N", 4, "Max", MaxGoal)) {
			t.Errorf("asked %q", m.Text)
		}
		if got := values(m.Choices); !slices.Equal(got, []string{"keep"}) {
			t.Errorf("choices %v", got)
		}
		if st := s.st("cas"); st.Rec.Mood != 3 || st.Step != stepGoal {
			t.Errorf("state %+v", st)
		}
	})
	t.Run("a goal with a number in it is just a goal", func(t *testing.T) {
		s := newSim(t, false)
		reach(t, s, "cas", stepGoal)
		s.text("cas", "Opgave 1")
		if st := s.st("cas"); st.Step != stepHelp || st.Rec.Goal != "Opgave 1" {
			t.Errorf("state %+v", st)
		}
	})
}

package checkin

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
)

func staffOf(res dialog.Result) (staff, own []chat.Message) {
	for _, m := range res.Messages {
		if m.Staff {
			staff = append(staff, m)
		} else {
			own = append(own, m)
		}
	}
	return staff, own
}

// TestEveryTextIsChecked: wherever a pupil's text arrives in the check-in (an answer,
// text typed where a button was asked, a form for another question, text after the
// check-in ended), built-in phrases alert the mentor and the care contact, and the
// pupil first gets a kind message with where to find help.
func TestEveryTextIsChecked(t *testing.T) {
	type stepFn func(s *sim) dialog.Result
	tests := []struct {
		name  string
		setup func(s *sim)
		do    stepFn
		where string
	}{
		{"open answer", func(s *sim) {}, func(s *sim) dialog.Result { return s.text("cas", "ik wil echt niet meer leven") }, "safeguard.where.open"},
		{"typed at the mood buttons", func(s *sim) { s.press("cas", "checkin.open", "skip") },
			func(s *sim) dialog.Result { return s.text("cas", "Ik wil dood") }, "safeguard.where.choice"},
		{"goal", func(s *sim) { s.press("cas", "checkin.open", "skip"); s.press("cas", "checkin.mood", "2") },
			func(s *sim) dialog.Result { return s.text("cas", "niet meer gepest worden") }, "safeguard.where.goal"},
		{"help answer", func(s *sim) {
			s.press("cas", "checkin.open", "skip")
			s.press("cas", "checkin.mood", "2")
			s.text("cas", "Hoofdstuk 3")
		}, func(s *sim) dialog.Result { return s.text("cas", "mijn vader slaat me") }, "safeguard.where.help"},
		{"form of an earlier question", func(s *sim) { s.press("cas", "checkin.open", "skip") }, func(s *sim) dialog.Result {
			in := s.input("cas", dialog.Form)
			in.Action = "checkin.open"
			in.Fields = map[string]string{FormField: "ik word gepest"}
			return s.step(in)
		}, "safeguard.where.choice"},
		{"after the check-in ended", func(s *sim) {
			s.press("cas", "checkin.open", "skip")
			s.press("cas", "checkin.mood", "4")
			s.text("cas", "Hoofdstuk 3")
			s.press("cas", "checkin.help", "no")
		}, func(s *sim) dialog.Result { return s.text("cas", "ik word gepest") }, "safeguard.where.stray"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, true)
			s.start("cas")
			tc.setup(s)
			res := tc.do(s)
			staff, own := staffOf(res)
			var to []string
			for _, m := range staff {
				to = append(to, m.To.Person)
				if !hasText(m, s.T("mees", tc.where)) || !strings.Contains(m.Text, "⚠️") {
					t.Errorf("alert does not say where: %q", m.Text)
				}
			}
			if !slices.Equal(to, []string{"mees", "zoe"}) {
				t.Fatalf("alerts to %v, want the mentor and the care contact (messages %+v)", to, res.Messages)
			}
			if len(own) == 0 || !hasText(own[0], "0800-0432") || !hasText(own[0], "0800-0113") || !hasText(own[0], "Mees de Boer") {
				t.Fatalf("the pupil's first message is not the help message: %+v", own)
			}
			var audited bool
			for _, e := range res.Effects {
				if a, ok := e.(dialog.Audit); ok && a.Entry.Action == "safeguard-alert" && a.Entry.Subject == "cas" {
					audited = true
					if strings.Contains(a.Entry.Detail, "gepest") || strings.Contains(a.Entry.Detail, "slaat") {
						t.Errorf("the audit log holds the pupil's words: %q", a.Entry.Detail)
					}
				}
			}
			if !audited {
				t.Error("alert not audited")
			}
		})
	}
}

// TestAlertNamesTheWordsAndConcern: the alert quotes the triggering words and names the
// concern; the pupil's text stays a literal.
func TestAlertNamesTheWordsAndConcern(t *testing.T) {
	s := newSim(t, true)
	s.start("cas")
	text := "ze pesten me <!channel> en ik wil niet meer leven"
	staff, _ := staffOf(s.text("cas", text))
	if len(staff) != 2 {
		t.Fatalf("alerts %+v", staff)
	}
	m := staff[0]
	for _, want := range []string{chat.Literal(text), chat.Literal("ze pesten me"), chat.Literal("wil niet meer leven"),
		s.T("mees", "safeguard.category.selfharm"), s.T("mees", "safeguard.category.bullying"), "Zoë Kok"} {
		if !hasText(m, want) {
			t.Errorf("alert lacks %q: %q", want, m.Text)
		}
	}
	for _, seg := range chat.Segments(m.Text) {
		if !seg.Literal && strings.Contains(seg.Text, "<!channel>") {
			t.Errorf("pupil text outside a literal: %q", seg.Text)
		}
	}
}

// TestHelpAlertIsNotRelayedTwice: a help answer that alerts reaches the mentor once,
// as the alert, not also as an ordinary help request.
func TestHelpAlertIsNotRelayedTwice(t *testing.T) {
	s := newSim(t, false)
	s.start("cas")
	s.press("cas", "checkin.open", "skip")
	s.press("cas", "checkin.mood", "2")
	s.text("cas", "Hoofdstuk 3")
	staff, own := staffOf(s.text("cas", "Ik wil dood"))
	if len(staff) != 1 || staff[0].To.Person != "mees" || !hasText(staff[0], "⚠️") {
		t.Fatalf("staff messages %+v, want one alert to the mentor", staff)
	}
	if len(s.helps) != 1 {
		t.Errorf("help request not stored: %+v", s.helps)
	}
	if s.stepOf("cas") != stepDone || len(own) != 2 {
		t.Errorf("step %s, pupil messages %+v: want the help message, then the closing line", s.stepOf("cas"), own)
	}
}

// TestLookAlikeDoesNotAlert: the cases: test nerves and laughing do not reach
// the care contact.
func TestLookAlikeDoesNotAlert(t *testing.T) {
	for _, text := range []string{"bang voor de toets", "ik ga dood van het lachen", "die toets was moord"} {
		s := newSim(t, true)
		s.start("cas")
		if staff, _ := staffOf(s.text("cas", text)); len(staff) != 0 {
			t.Errorf("%q alerted: %+v", text, staff)
		}
	}
}

// TestSchoolHelpLines: the school's help_now lines replace the defaults for that
// language, and an English pupil gets English texts.
func TestSchoolHelpLines(t *testing.T) {
	s := newSim(t, true)
	s.school.Policy.HelpNow = map[string][]string{"en": {"Childline: call 0800 1111 *free*"}}
	s.start("emma")
	_, own := staffOf(s.text("emma", "i want to die"))
	if len(own) == 0 || !hasText(own[0], chat.Literal("Childline: call 0800 1111 *free*")) || hasText(own[0], "0800-0432") {
		t.Fatalf("English pupil's help message: %+v", own)
	}
	if !hasText(own[0], "Noor Peters") || !hasText(own[0], "care coordinator") {
		t.Errorf("help message does not say who is told: %q", own[0].Text)
	}
	s.start("cas")
	_, own = staffOf(s.text("cas", "ik wil dood"))
	if len(own) == 0 || !hasText(own[0], "0800-0432") {
		t.Errorf("Dutch pupil did not get the Dutch defaults: %+v", own)
	}
}

// TestAfterAnAlertTheCheckInIsGentle: the next question says the pupil may stop, no
// reminder follows that day, and a finished check-in closes without "good luck".
func TestAfterAnAlertTheCheckInIsGentle(t *testing.T) {
	s := newSim(t, true)
	s.start("cas")
	_, own := staffOf(s.text("cas", "ik wil niet meer leven"))
	if len(own) != 2 || !hasText(own[1], s.T("cas", "checkin.after_alert")) || s.stepOf("cas") != stepMood {
		t.Fatalf("after the alert: %+v", own)
	}
	s.now = s.now.Add(2 * time.Hour)
	if res := s.remind("cas"); len(res.Messages) != 0 {
		t.Errorf("reminder after an alert: %+v", res.Messages)
	}
	s.press("cas", "checkin.mood", "1")
	s.text("cas", "niks")
	_, own = staffOf(s.text("cas", "mijn vader slaat me"))
	if last := own[len(own)-1]; last.Text != s.T("cas", "checkin.done.after_alert", "Name", chat.Literal("Cas")) {
		t.Errorf("closing line after an alert: %q", last.Text)
	}
}

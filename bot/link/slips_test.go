package link_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/link"
)

func TestSlipsShowTheSchoolsPlatforms(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := &config.Person{ID: "kim", Name: "Kim <b>Bos</b>", Classes: []string{"2B"}}
	issued := []link.Issued{{Person: p, Code: "ACEF-HJKM", Expires: time.Date(2026, 12, 14, 23, 59, 59, 0, time.UTC)}}
	var slackOnly, both bytes.Buffer
	if err := link.WriteHTML(&slackOnly, cat, "t", issued, time.UTC, []chat.Platform{chat.Slack}); err != nil {
		t.Fatal(err)
	}
	if err := link.WriteHTML(&both, cat, "t", issued, time.UTC, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ACEF-HJKM", "Kim &lt;b&gt;Bos&lt;/b&gt;", "In Slack:", "2026-12-14", "Your code", "Jouw code"} {
		if !strings.Contains(slackOnly.String(), want) {
			t.Errorf("slip lacks %q", want)
		}
	}
	if strings.Contains(slackOnly.String(), "Discord") {
		t.Error("a Slack school's slip explains Discord")
	}
	if !strings.Contains(both.String(), "Op Discord:") || !strings.Contains(both.String(), "On Discord:") {
		t.Error("without a platform set up, the slip should explain both")
	}
}

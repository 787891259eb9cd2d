package bot_test

import (
	"context"
	"slices"
	"testing"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/checkin"
)

// A finished check-in queues a home-page refresh for the pupil and their mentor through
// the outbox, for the platform that has home pages only; the others get none.
func TestCheckInQueuesHomePagesThroughTheOutbox(t *testing.T) {
	homes := &bottest.Recorder{P: chat.Slack, Caps: chat.Capabilities{Buttons: true, Home: true}}
	plain := &bottest.Recorder{P: chat.Shell, Caps: chat.Capabilities{Buttons: true}}
	school := bottest.ExampleSchool(t)
	for _, p := range school.People {
		p.Slack = "U" + p.ID
	}
	if err := school.Prepare(); err != nil {
		t.Fatal(err)
	}
	h := bottest.New(t, bottest.Options{School: school, Adapters: []chat.Adapter{homes, plain}, Dialogs: []dialog.Dialog{checkin.New()}})
	ctx := context.Background()
	h.At("08:15")
	for i, step := range []chat.Event{
		{Kind: chat.KindMessage, Text: "Spreekbeurt"},
		{Kind: chat.KindButton, Action: "checkin.mood", Value: "4"},
		{Kind: chat.KindMessage, Text: "Spreekbeurt afmaken"},
		{Kind: chat.KindMessage, Text: "Nee"},
	} {
		step.ID, step.Platform, step.User, step.DM = "h"+string(rune('0'+i)), chat.Slack, "Usanne", true
		h.Engine.Handle(ctx, step)
		h.Tick()
	}
	if got, err := h.Engine.RecentCheckIns(ctx, "sanne", 1); err != nil || len(got) != 1 || got[0].Status != "done" {
		t.Fatalf("check-in = %+v, %v; the test needs a finished one", got, err)
	}
	var to []string
	for _, d := range homes.Sent() {
		if d.Message.Home {
			if d.Message.Text != "" || d.Message.To.Kind != chat.ToPerson {
				t.Errorf("home refresh %+v carries more than whose page it is", d.Message)
			}
			to = append(to, d.Address.User)
		}
	}
	slices.Sort(to)
	if to = slices.Compact(to); !slices.Equal(to, []string{"Udevries", "Usanne"}) {
		t.Errorf("home pages refreshed for %v, want Sanne and her mentor", to)
	}
	for _, d := range plain.Sent() {
		if d.Message.Home {
			t.Errorf("a platform without home pages got a refresh: %+v", d)
		}
	}
}

package bot_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/redis/go-redis/v9"
)

// armer arms a timer for another dialog: /arm names "woken", /armnone a dialog that
// does not exist, /disarm cancels the first.
type armer struct{}

func (armer) Name() string { return "armer" }
func (armer) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{{Name: "arm"}, {Name: "armnone"}, {Name: "disarm"}}
}
func (armer) Step(in dialog.Input) (dialog.Result, error) {
	switch in.Command {
	case "arm":
		return dialog.Result{Effects: []dialog.Effect{dialog.SetTimer{Dialog: "woken", Key: "k", Person: "p01", After: time.Minute, Payload: "from armer"}}}, nil
	case "armnone":
		return dialog.Result{Effects: []dialog.Effect{dialog.SetTimer{Dialog: "nope", Key: "k", After: time.Minute}}}, nil
	case "disarm":
		return dialog.Result{Effects: []dialog.Effect{dialog.CancelTimer{Dialog: "woken", Key: "k", Person: "p01"}}}, nil
	}
	return dialog.Result{}, nil
}

type woken struct{ n atomic.Int32 }

func (*woken) Name() string                   { return "woken" }
func (*woken) Commands() []dialog.CommandSpec { return nil }
func (w *woken) Step(in dialog.Input) (dialog.Result, error) {
	if in.Kind == dialog.Wake && in.Payload == "from armer" && in.Person.ID == "p01" {
		w.n.Add(1)
	}
	return dialog.Result{}, nil
}

// TestTimerForAnotherDialog: a step arms a timer that wakes another dialog (a pupil's
// step arming the alerts dialog's re-send); it fires once for that dialog, survives a
// new engine, can be cancelled by the dialog that armed it, and naming a dialog that
// does not exist fails the step instead of arming a timer nobody can fire.
func TestTimerForAnotherDialog(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		w := &woken{}
		opts := bottest.Options{School: classOf(t, 1), Redis: rdb, Prefix: prefix, Clock: clk,
			Adapters: []chat.Adapter{&bottest.Recorder{}}, Dialogs: []dialog.Dialog{armer{}, w}}
		first := bottest.New(t, opts)
		mustHandle(t, first, command("a1", "devries", "arm", ""))
		second := bottest.New(t, opts)
		clk.Set(clk.Now().Add(time.Minute))
		second.Tick()
		first.Tick()
		if n := w.n.Load(); n != 1 {
			t.Fatalf("the other dialog woke %d times, want 1", n)
		}
		mustHandle(t, first, command("a2", "devries", "arm", ""))
		mustHandle(t, first, command("a3", "devries", "disarm", ""))
		clk.Set(clk.Now().Add(time.Hour))
		second.Tick()
		if n := w.n.Load(); n != 1 {
			t.Errorf("a cancelled timer fired (%d wakes)", n)
		}
		if r := first.Engine.Handle(context.Background(), command("a4", "devries", "armnone", "")); len(r) != 1 {
			t.Errorf("a timer for an unknown dialog should fail the step; replies %+v", r)
		}
	})
}

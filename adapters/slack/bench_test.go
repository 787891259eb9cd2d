package slack

import (
	"fmt"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
)

func benchMessage(i int) chat.Message {
	m := chat.Message{ID: fmt.Sprintf("b%d", i), To: chat.Target{Kind: chat.ToPerson, Person: "anna"},
		Text: "Hoi " + chat.Literal("Anna <!channel> @here") + "! *Hoe voel je je vandaag?*"}
	for v := 1; v <= 5; v++ {
		m.Choices = append(m.Choices, chat.Choice{Action: "checkin.mood", Value: fmt.Sprint(v), Label: fmt.Sprint(v)})
	}
	return m
}

// BenchmarkRender is the cost of turning a check-in question into Block Kit.
func BenchmarkRender(b *testing.B) {
	h := newRig(b, ModeHTTP)
	m := benchMessage(0)
	b.ReportAllocs()
	for b.Loop() {
		_ = h.a.render(m, "nl")
	}
}

// BenchmarkSendDM is one check-in question delivered to a cached DM through slack-go
// and a local fake Slack (limits lifted): the adapter's and the client's own cost.
func BenchmarkSendDM(b *testing.B) {
	h := newRig(b, ModeHTTP)
	d := chat.Delivery{Message: benchMessage(0), Address: chat.Address{User: "U0ANNA"}}
	if err := h.a.Send(h.ctx, d); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		d.Message.ID = fmt.Sprintf("b%d", i)
		if err := h.a.Send(h.ctx, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the signature check every HTTP request pays.
func BenchmarkVerify(b *testing.B) {
	h := newRig(b, ModeHTTP)
	body := []byte(`{"type":"event_callback","team_id":"T0KRING","event_id":"Ev1","event":{"type":"message","channel":"D0ANNA","user":"U0ANNA","text":"hoi","ts":"1700000000.000100","channel_type":"im"}}`)
	hdr := fakeslack.Sign(testSecret, time.Now(), body)
	b.ReportAllocs()
	for b.Loop() {
		if err := h.a.verify(hdr, body); err != nil {
			b.Fatal(err)
		}
	}
}

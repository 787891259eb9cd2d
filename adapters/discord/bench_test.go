package discord

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/chat"
)

// BenchmarkSendDM measures one check-in question (text and five buttons) to a pupil
// whose DM channel is cached, through discordgo to the local fake, pacing lifted.
func BenchmarkSendDM(b *testing.B) {
	e := prepareEnv(b, func(_ *fakediscord.Options, o *Options) { o.Rate = 1e9 })
	const users = 64
	for i := range users {
		u := fmt.Sprintf("42%016d", i)
		_ = e.kv.Set(e.ctx, "dm:"+u, e.fake.OpenDM(u), 0)
	}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			d := morning(1, fmt.Sprint("b", i))[0]
			d.Address.User = fmt.Sprintf("42%016d", i%users)
			if err := e.a.Send(e.ctx, d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkInteractionAck measures a slash command from the gateway dispatch to the
// deferred acknowledgement arriving at the fake.
func BenchmarkInteractionAck(b *testing.B) {
	e := newEnv(b)
	b.ResetTimer()
	for range b.N {
		in, err := e.fake.SlashCommand(fakediscord.Actor{User: annaID}, classChan, "checkin")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.fake.Wait(e.ctx, callbackFor(in)); err != nil {
			b.Fatal(err)
		}
		<-e.h.ch
	}
}

func BenchmarkEscape(b *testing.B) {
	s := strings.Repeat("Ik vond het @everyone **leuk** vandaag, <@&123> zie https://x.nl. ", 8)
	b.SetBytes(int64(len(s)))
	for range b.N {
		_ = Render("Anna schreef: " + chat.Literal(s))
	}
}

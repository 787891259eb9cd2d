package link_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
)

// BenchmarkResolveLinked resolves a Discord account linked at runtime, with 1,200
// pupils linked: the Engine's cost per event for the roster lookup (no Redis).
func BenchmarkResolveLinked(b *testing.B) {
	school := bottest.ExampleSchool(b)
	for i := range 1200 {
		school.People = append(school.People, &config.Person{ID: fmt.Sprintf("p%04d", i), Name: fmt.Sprintf("Pupil %d", i),
			Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"})
	}
	if err := school.Prepare(); err != nil {
		b.Fatal(err)
	}
	h := bottest.New(b, bottest.Options{School: school})
	ctx := context.Background()
	pipe := h.Redis.Pipeline()
	for i := range 1200 {
		u := fmt.Sprintf("7%017d", i)
		pipe.HSet(ctx, h.Store.Key("links"), fmt.Sprintf("discord:p%04d", i), u, "@discord:"+u, fmt.Sprintf("p%04d", i))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	if err := h.Links.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, ok := h.Links.Person(chat.Discord, fmt.Sprintf("7%017d", i%1200)); !ok {
			b.Fatal("not found")
		}
	}
}

// BenchmarkRefresh reloads 1,200 links (2,400 hash fields) from Redis: what a stranger's
// message or the 30-second refresh costs.
func BenchmarkRefresh(b *testing.B) {
	h := bottest.New(b, bottest.Options{})
	ctx := context.Background()
	pipe := h.Redis.Pipeline()
	for i := range 1200 {
		u := fmt.Sprintf("7%017d", i)
		pipe.HSet(ctx, h.Store.Key("links"), fmt.Sprintf("discord:p%04d", i), u, "@discord:"+u, fmt.Sprintf("p%04d", i))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Links.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

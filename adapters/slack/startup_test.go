package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/clock"
)

func TestEnvOptions(t *testing.T) {
	env := map[string]string{"SLACK_BOT_TOKEN": " xoxb-1 ", "SLACK_SIGNING_SECRET": "s", "KRING_SLACK_MODE": "HTTP"}
	o := EnvOptions(func(k string) string { return env[k] })
	if o.BotToken != "xoxb-1" || o.Mode != ModeHTTP || o.Listen != DefaultListen || o.SigningSecret != "s" {
		t.Fatalf("EnvOptions = %+v", o)
	}
	o.School = testSchool(t)
	if _, err := New(o); err != nil {
		t.Fatalf("HTTP mode from the environment: %v", err)
	}
	delete(env, "KRING_SLACK_MODE")
	o = EnvOptions(func(k string) string { return env[k] })
	o.School = testSchool(t)
	if _, err := New(o); err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
		t.Fatalf("Socket Mode without an app token: %v, want an error naming SLACK_APP_TOKEN", err)
	}
}

func TestStartWaitsOutSlackHiccups(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC))
	fake := fakeslack.New(fakeslack.Options{Team: testTeam})
	t.Cleanup(fake.Close)
	fake.Fail("auth.test", 2, 503)
	a, err := New(Options{BotToken: botToken, SigningSecret: testSecret, Mode: ModeHTTP, School: testSchool(t),
		Catalog: testCatalog(t), Clock: clk, Log: quietLog(), APIURL: fake.APIURL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, newRecorder()) }()
	<-clk.Waiting()
	clk.Advance(time.Second)
	<-clk.Waiting()
	clk.Advance(2 * time.Second)
	<-a.ready
	cancel()
	if err := <-done; err != nil || len(fake.Calls("auth.test")) != 3 {
		t.Fatalf("Run = %v after %d auth.test calls, want ready after the third", err, len(fake.Calls("auth.test")))
	}

	// A refused token fails at once, without waiting.
	strict := fakeslack.New(fakeslack.Options{Team: testTeam, BotToken: botToken})
	t.Cleanup(strict.Close)
	b, err := New(Options{BotToken: "xoxb-wrong", SigningSecret: testSecret, Mode: ModeHTTP, School: testSchool(t),
		Catalog: testCatalog(t), Clock: clk, Log: quietLog(), APIURL: strict.APIURL})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Run(context.Background(), newRecorder()); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("Run with a refused token = %v, want invalid_auth at once", err)
	}
}

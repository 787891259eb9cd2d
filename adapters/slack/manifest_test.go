package slack

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/clock"
)

// The manifest is what an admin pastes to create the app: it must ask for what the
// adapter uses (and no more), and pass Slack's length limits.
func TestAppManifestMatchesTheAdapter(t *testing.T) {
	b, err := os.ReadFile("../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Display struct {
			Name, Description string
			Long              string `yaml:"long_description"`
		} `yaml:"display_information"`
		Features struct {
			AppHome struct {
				Home     bool `yaml:"home_tab_enabled"`
				Messages bool `yaml:"messages_tab_enabled"`
				ReadOnly bool `yaml:"messages_tab_read_only_enabled"`
			} `yaml:"app_home"`
			Bot struct {
				Name string `yaml:"display_name"`
			} `yaml:"bot_user"`
			Commands []struct {
				Command, Description string
				Hint                 string `yaml:"usage_hint"`
				Escape               bool   `yaml:"should_escape"`
			} `yaml:"slash_commands"`
		}
		OAuth struct {
			Scopes struct{ Bot []string }
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				On bool `yaml:"is_enabled"`
			}
			Socket bool `yaml:"socket_mode_enabled"`
		}
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest is not valid YAML: %v", err)
	}
	d := m.Display
	if d.Name == "" || utf8.RuneCountInString(d.Name) > 35 || utf8.RuneCountInString(d.Description) > 140 ||
		utf8.RuneCountInString(d.Long) < 175 || utf8.RuneCountInString(d.Long) > 4000 {
		t.Errorf("display_information breaks Slack's limits: name %d, description %d, long_description %d characters",
			utf8.RuneCountInString(d.Name), utf8.RuneCountInString(d.Description), utf8.RuneCountInString(d.Long))
	}
	if f := m.Features; !f.AppHome.Home || !f.AppHome.Messages || f.AppHome.ReadOnly || f.Bot.Name == "" {
		t.Errorf("app_home/bot_user: %+v: pupils need the Home tab and a writable Messages tab", f.AppHome)
	}
	if c := m.Features.Commands; len(c) != 1 || c[0].Command != DefaultCommand || !c[0].Escape || c[0].Description == "" ||
		utf8.RuneCountInString(c[0].Description) > 100 {
		t.Errorf("slash_commands = %+v, want one escaped %s", c, DefaultCommand)
	}
	scopes := slices.Clone(m.OAuth.Scopes.Bot)
	slices.Sort(scopes)
	if want := []string{"chat:write", "commands", "files:write", "im:history", "im:write"}; !slices.Equal(scopes, want) {
		t.Errorf("bot scopes = %v, want exactly %v", scopes, want)
	}
	events := slices.Clone(m.Settings.Events.Bot)
	slices.Sort(events)
	if want := []string{"app_home_opened", "message.im"}; !slices.Equal(events, want) {
		t.Errorf("bot events = %v, want %v", events, want)
	}
	if !m.Settings.Interactivity.On || !m.Settings.Socket {
		t.Errorf("interactivity %v, socket mode %v: both must be on", m.Settings.Interactivity.On, m.Settings.Socket)
	}
}

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

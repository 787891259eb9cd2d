package slack

import (
	"os"
	"slices"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
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
	if want := []string{"app_mentions:read", "channels:history", "chat:write", "commands", "files:write", "groups:history", "im:history", "im:write", "users:read", "users:read.email"}; !slices.Equal(scopes, want) {
		t.Errorf("bot scopes = %v, want exactly %v", scopes, want)
	}
	events := slices.Clone(m.Settings.Events.Bot)
	slices.Sort(events)
	if want := []string{"app_home_opened", "app_mention", "message.channels", "message.groups", "message.im"}; !slices.Equal(events, want) {
		t.Errorf("bot events = %v, want %v", events, want)
	}
	if !m.Settings.Interactivity.On || !m.Settings.Socket {
		t.Errorf("interactivity %v, socket mode %v: both must be on", m.Settings.Interactivity.On, m.Settings.Socket)
	}
}

// Package slack connects Kring to one Slack workspace through slack-go.
//
// Two ways in: Socket Mode (the default; the app dials out over a websocket, so a
// school needs no public URL) and the Events API over HTTP, where every request's
// v0 signature is checked before anything is read from it. Both acknowledge within
// Slack's 3 seconds and do the work afterwards.
//
// Inbound, the one slash command /kring carries every Kring command as a
// sub-command (Slack apps share one command namespace per workspace), Block Kit
// buttons and selects become button events, modals become form events, DMs to the
// bot become messages, and so do replies in the threads Kring opened in a class
// channel (with the thread's logical key) and class-channel messages that mention
// Kring or reply under its posts; other channel messages are dropped unread. Opening
// the App Home publishes the person's page, and so does a home-page refresh from the
// outbox (chat.Message.Home).
// Every event gets an id that is the same on Slack's retries (event_id, or the
// trigger_id of an interaction), so the Engine's dedupe gives one effect.
//
// Outbound, Kring markup becomes mrkdwn in Block Kit sections with verbatim text,
// and anything a person typed is neutralised: &, < and > escaped, @ broken so no
// @here/@channel/@everyone or name is ever parsed, and mrkdwn markers swapped for
// look-alikes. Delivery is paced per channel and per method tier; a 429 becomes a
// *chat.RetryError carrying Slack's Retry-After. DM channel ids are cached in the
// chat.KV the adapter is given (Redis in production).
//
// Adapter cache keys (in that chat.KV, under the store's prefix):
//
//	dm:<user>             DM channel id of a Slack user (90 days)
//	form:<message id>     a pending form and the text of the message that offers it (14 days)
//	thread:<class>:<key>  ts of the parent message of a dialog's logical thread
//	threadkey:<channel>:<ts>  the logical thread key of a parent message Kring posted
//	sent:<message id>     the text of a message with an image went out (48 hours)
//
// See docs/slack.md for creating the Slack app from slack-app-manifest.yaml and
// running Kring with it; adapters/slack/fakeslack is the local Slack the tests use.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/guard"
	"github.com/kring-school/kring/bot/i18n"
)

// The connection modes.
const (
	// ModeSocket connects out through Socket Mode (needs an app-level xapp- token).
	ModeSocket = "socket"
	// ModeHTTP receives the Events API, slash commands and interactivity over HTTP
	// (needs the signing secret and a public HTTPS URL in front of Listen).
	ModeHTTP = "http"
)

// DefaultCommand is the slash command the app manifest declares.
const DefaultCommand = "/kring"

// DefaultPath is where the HTTP mode handler listens for every Slack request.
const DefaultPath = "/slack/events"

// DefaultListen is the HTTP mode address EnvOptions uses when KRING_SLACK_LISTEN is unset.
const DefaultListen = ":3000"

// HomeSource supplies a person's App Home data; the Engine implements it.
type HomeSource interface {
	Home(ctx context.Context, personID string) (chat.Home, error)
}

// Options configures an Adapter. Tokens come from the environment (see EnvOptions).
type Options struct {
	// BotToken is the bot user OAuth token (xoxb-...).
	BotToken string
	// AppToken is the app-level token with connections:write (xapp-...), for Socket Mode.
	AppToken string
	// SigningSecret verifies HTTP requests (HTTP mode).
	SigningSecret string
	// Mode is ModeSocket (default) or ModeHTTP.
	Mode string
	// Listen is the HTTP mode listen address, e.g. ":3000". Empty: Run serves nothing
	// itself and the caller mounts EventsHandler on its own server.
	Listen string
	// Path is the HTTP mode request path (default DefaultPath).
	Path string

	School *config.School
	// Commands, KV and Home default to the Engine's (see Use).
	Commands []chat.Command
	Catalog  *i18n.Catalog
	// KV caches DM channel ids, pending forms, thread ids; nil keeps them in memory.
	KV    chat.KV
	Clock clock.Clock
	Log   *slog.Logger
	// Home supplies App Home pages when a person opens the Home tab (optional).
	Home HomeSource
	// Command is the slash command as the app manifest declares it (default "/kring").
	Command string
	// Pace tunes the outbound rate limits; the zero value uses Slack's published limits.
	Pace Pace
	// FormWait is how long a modal submission waits for the Engine so a refusal can be
	// shown inside the modal (default 2s; Slack closes the door at 3s).
	FormWait time.Duration

	// APIURL replaces https://slack.com/api/ (tests point it at fakeslack).
	APIURL string
	// Guard, if set, shares a refused token's pause with every process and tells the
	// admins (see package guard). Slack's own rate limits are paced by Pace.
	Guard *guard.Guard
	// HTTPClient replaces the default HTTP client.
	HTTPClient *http.Client
}

// EnvOptions reads the Slack settings from the environment: SLACK_BOT_TOKEN,
// SLACK_APP_TOKEN, SLACK_SIGNING_SECRET, KRING_SLACK_MODE (socket|http),
// KRING_SLACK_LISTEN (HTTP mode; default :3000) and KRING_SLACK_COMMAND. The caller
// fills School, Catalog, Clock and Log; Commands, KV and Home come from the Engine
// (chat.Engine, see Use) unless set.
func EnvOptions(getenv func(string) string) Options {
	o := Options{
		BotToken:      strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		AppToken:      strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		SigningSecret: strings.TrimSpace(getenv("SLACK_SIGNING_SECRET")),
		Mode:          strings.ToLower(strings.TrimSpace(getenv("KRING_SLACK_MODE"))),
		Listen:        strings.TrimSpace(getenv("KRING_SLACK_LISTEN")),
		Command:       strings.TrimSpace(getenv("KRING_SLACK_COMMAND")),
		// A Web API base URL other than Slack's (a proxy shared by replicas, or a fake in
		// end-to-end tests), ending in "/api/".
		APIURL: strings.TrimSpace(getenv("KRING_SLACK_API_URL")),
	}
	if o.Mode == ModeHTTP && o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.APIURL != "" && !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/" // slack-go appends the method name
	}
	return o
}

// Paused reports whether Slack refuses all of Kring's sending for now (a refused
// token) and until when; /healthz and /metrics use it.
func (a *Adapter) Paused() (reason string, until time.Time) {
	if a.opt.Guard == nil {
		return "", time.Time{}
	}
	return a.opt.Guard.Paused()
}

// Adapter is the Slack platform adapter. It implements chat.Adapter, with home pages.
type Adapter struct {
	opt   Options
	api   *slackgo.Client
	log   *slog.Logger
	clk   clock.Clock
	pace  *pacer
	cat   *i18n.Catalog
	parts atomic.Pointer[parts]
	// owner names this process in claims shared with the deployment's other processes.
	owner string

	handler atomic.Pointer[handlerRef]
	botUser atomic.Value // string
	// mention matches a mention of the bot user in Slack's encoding.
	mention atomic.Pointer[regexp.Regexp]
	// ready is closed once Run knows who the bot is and serves events.
	ready     chan struct{}
	readyOnce sync.Once
	seen      *seenSet

	// connected is true while Slack can reach Kring (socket up, or listening); /healthz.
	connected atomic.Bool

	// work tracks event processing started after an ack, so Run can wait for it.
	work sync.WaitGroup
	// base outlives an ack: processing that must finish is not cut off by it.
	base atomic.Pointer[context.Context]
}

type handlerRef struct{ h chat.Handler }

// parts are what the adapter may only get from the Engine, which is built after it:
// the commands, the KV cache and the home pages. Use swaps them in at once.
type parts struct {
	kv   chat.KV
	home HomeSource
	// accounts resolves people with the links made at runtime (nil: the school file).
	accounts Accounts
	// names maps every accepted sub-command name, lower-case, to its canonical name.
	names map[string]string
	// locale is the Engine's choice of a person's language (their own /language first).
	locale func(*config.Person) string
}

func (a *Adapter) p() *parts { return a.parts.Load() }

func (a *Adapter) store() chat.KV { return a.p().kv }

var _ chat.Adapter = (*Adapter)(nil)

// New checks the options and builds an Adapter; it does not connect (Run does).
func New(opt Options) (*Adapter, error) {
	if opt.Mode == "" {
		opt.Mode = ModeSocket
	}
	if opt.Path == "" {
		opt.Path = DefaultPath
	}
	if opt.Command == "" {
		opt.Command = DefaultCommand
	}
	if !strings.HasPrefix(opt.Command, "/") {
		opt.Command = "/" + opt.Command
	}
	if opt.FormWait <= 0 {
		opt.FormWait = 2 * time.Second
	}
	if opt.School == nil {
		return nil, errors.New("slack: no school config")
	}
	if !strings.HasPrefix(opt.BotToken, "xoxb-") {
		return nil, errors.New("slack: SLACK_BOT_TOKEN must be the bot token (xoxb-...) from OAuth & Permissions")
	}
	switch opt.Mode {
	case ModeSocket:
		if !strings.HasPrefix(opt.AppToken, "xapp-") {
			return nil, errors.New("slack: Socket Mode needs SLACK_APP_TOKEN, an app-level token (xapp-...) with connections:write")
		}
	case ModeHTTP:
		if opt.SigningSecret == "" {
			return nil, errors.New("slack: HTTP mode needs SLACK_SIGNING_SECRET (Basic Information > App Credentials)")
		}
	default:
		return nil, fmt.Errorf("slack: mode %q is not socket or http", opt.Mode)
	}
	if opt.Catalog == nil {
		c, err := i18n.Load()
		if err != nil {
			return nil, fmt.Errorf("slack: load catalogs: %w", err)
		}
		opt.Catalog = c
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	apiOpts := []slackgo.Option{
		slackgo.OptionAppLevelToken(opt.AppToken),
		// slack-go logs through the standard logger; route it into slog at debug level.
		slackgo.OptionLog(log.New(slogWriter{opt.Log}, "", 0)),
	}
	if opt.APIURL != "" {
		apiOpts = append(apiOpts, slackgo.OptionAPIURL(opt.APIURL))
	}
	if opt.HTTPClient != nil {
		apiOpts = append(apiOpts, slackgo.OptionHTTPClient(opt.HTTPClient))
	} else {
		apiOpts = append(apiOpts, slackgo.OptionHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	}
	a := &Adapter{
		opt:   opt,
		api:   slackgo.New(opt.BotToken, apiOpts...),
		log:   opt.Log.With("platform", "slack"),
		clk:   opt.Clock,
		pace:  newPacer(opt.Clock, opt.Pace),
		cat:   opt.Catalog,
		seen:  newSeenSet(opt.Clock, 10*time.Minute),
		ready: make(chan struct{}),
		owner: chat.NewOwner(),
	}
	a.botUser.Store("")
	kv := opt.KV
	if kv == nil {
		kv = chat.NewMemKV(opt.Clock.Now)
	}
	a.parts.Store(&parts{kv: kv, home: opt.Home, names: a.commandNames(opt.Commands)})
	bg := context.Background()
	a.base.Store(&bg)
	return a, nil
}

// slogWriter turns slack-go's log lines into debug records.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Debug(strings.TrimSpace(string(p)), "source", "slack-go")
	return len(p), nil
}

// Platform returns chat.Slack.
func (a *Adapter) Platform() chat.Platform { return chat.Slack }

// Capabilities reports what Slack shows. More than five choices become a select
// menu, which holds up to 100 options, so dialogs may offer that many.
func (a *Adapter) Capabilities() chat.Capabilities {
	return chat.Capabilities{
		Buttons: true, Forms: true, Threads: true, Files: true, Ephemeral: true,
		MaxButtons: maxOptions,
		MaxText:    maxSectionText * maxTextSections,
		Home:       true,
	}
}

// Run connects (Socket Mode) or starts serving (HTTP mode) and feeds events to the
// Engine until ctx ends. It returns nil on a clean shutdown, after in-flight events finish.
func (a *Adapter) Run(ctx context.Context, h chat.Engine) error {
	if h == nil {
		return errors.New("slack: nil handler")
	}
	a.Use(h)
	a.handler.Store(&handlerRef{h: h})
	base := context.WithoutCancel(ctx)
	a.base.Store(&base)
	defer a.work.Wait()
	if err := a.checkAuth(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	a.readyOnce.Do(func() { close(a.ready) })
	if a.opt.Mode == ModeHTTP {
		return a.runHTTP(ctx)
	}
	return a.runSocket(ctx)
}

// Connected reports whether Slack can reach Kring now; /healthz uses it.
func (a *Adapter) Connected() bool { return a.connected.Load() }

// Use takes from the Engine what the options left out: its commands, its KV cache for
// Slack and its home pages, and always its account links and people's languages. Run calls it; call it earlier when the outbox may deliver
// before Run starts, so the DM cache is Redis from the first message.
func (a *Adapter) Use(e chat.Engine) {
	np := *a.p()
	if len(a.opt.Commands) == 0 {
		np.names = a.commandNames(e.Commands())
	}
	if a.opt.KV == nil {
		np.kv = e.KV(chat.Slack)
	}
	if a.opt.Home == nil {
		np.home = e
	}
	if ac, ok := e.(chat.Accounts); ok {
		np.accounts = ac
	}
	np.locale = e.LocaleOf
	a.parts.Store(&np)
}

// checkAuth learns the bot's own user id and refuses a token of another workspace.
// A network or Slack hiccup at start is waited out (about a minute); a refused token
// fails at once.
func (a *Adapter) checkAuth(ctx context.Context) error {
	var res *slackgo.AuthTestResponse
	var err error
	for wait := time.Second; ; wait *= 2 {
		res, err = a.api.AuthTestContext(ctx)
		if err == nil {
			break
		}
		_, transient := errors.AsType[*chat.RetryError](a.fail("auth.test", "", err))
		if !transient || wait > 32*time.Second || ctx.Err() != nil {
			return fmt.Errorf("slack: auth.test with SLACK_BOT_TOKEN: %w", err)
		}
		a.log.Warn("slack not reachable yet; trying again", "in", wait, "err", err)
		select {
		case <-a.clk.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	a.botUser.Store(res.UserID)
	a.mention.Store(mentionOf(res.UserID))
	want := a.opt.School.Slack.Team
	switch {
	case want == "":
		a.log.Warn("slack.team is not set in the school config; accepting events from workspace " + res.TeamID)
	case want != res.TeamID:
		return fmt.Errorf("slack: the bot token belongs to workspace %s (%s) but the school config says slack.team: %s", res.TeamID, res.Team, want)
	}
	a.log.Info("slack connected", "team", res.TeamID, "bot_user", res.UserID, "mode", a.opt.Mode)
	return nil
}

func (a *Adapter) baseCtx() context.Context { return *a.base.Load() }

func (a *Adapter) currentHandler() chat.Handler {
	if r := a.handler.Load(); r != nil {
		return r.h
	}
	return nil
}

// teamOK drops events from any workspace but the school's.
func (a *Adapter) teamOK(team string) bool {
	want := a.opt.School.Slack.Team
	if want == "" || team == "" || team == want {
		return true
	}
	a.log.Warn("dropping event from another workspace", "team", team)
	return false
}

// isDM reports whether a Slack channel id is a direct message (ids of DMs start with D).
func isDM(channel string) bool { return strings.HasPrefix(channel, "D") }

// Accounts resolves Slack users to roster people including the accounts linked at
// runtime (link codes, e-mail); the Engine implements it.
type Accounts = chat.Accounts

// person resolves a Slack user id to a roster person.
func (a *Adapter) person(user string) (*config.Person, bool) {
	if ac := a.p().accounts; ac != nil {
		return ac.PersonFor(chat.Slack, user)
	}
	return a.opt.School.ByPlatform("slack", user)
}

// slackID is a person's Slack user id, "" when they have none.
func (a *Adapter) slackID(p *config.Person) string {
	if ac := a.p().accounts; ac != nil {
		return ac.AccountOf(p, chat.Slack)
	}
	return p.Slack
}

// langForUser is the language of a Slack user's direct messages.
func (a *Adapter) langForUser(user string) string {
	p, _ := a.person(user)
	return a.localeOf(p)
}

// localeOf is a person's language: the Engine's answer (their own choice first) once
// Use ran, else the school file's.
func (a *Adapter) localeOf(p *config.Person) string {
	if f := a.p().locale; f != nil && p != nil {
		if l := f(p); l != "" {
			return l
		}
	}
	return a.opt.School.LocaleFor(p)
}

// langForClass is the language of a class channel.
func (a *Adapter) langForClass(class string) string {
	if c, ok := a.opt.School.Class(class); ok {
		return c.Locale
	}
	return a.opt.School.Locale
}

// seenSet remembers recent ids so adapter-side effects of a redelivered event
// (opening a modal) happen once in this process; the Engine dedupes the rest.
type seenSet struct {
	mu  sync.Mutex
	clk clock.Clock
	ttl time.Duration
	ids map[string]time.Time
}

func newSeenSet(clk clock.Clock, ttl time.Duration) *seenSet {
	return &seenSet{clk: clk, ttl: ttl, ids: map[string]time.Time{}}
}

// first reports whether id is new, and remembers it.
func (s *seenSet) first(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	if len(s.ids) > 4096 {
		for k, t := range s.ids {
			if now.Sub(t) > s.ttl {
				delete(s.ids, k)
			}
		}
	}
	if t, ok := s.ids[id]; ok && now.Sub(t) <= s.ttl {
		return false
	}
	s.ids[id] = now
	return true
}

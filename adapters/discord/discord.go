// Package discord connects Kring to a Discord server (guild) through discordgo.
//
// One school config maps to one guild (School.Discord.Guild); each class to a text
// channel (Class.Discord.Channel); each person to a roster entry by Discord user id
// (Person.Discord). The adapter:
//
//   - keeps a gateway connection with the GUILDS, DIRECT_MESSAGES and GUILD_MESSAGES
//     intents, and the privileged MESSAGE_CONTENT only when asked (Options.MessageContent;
//     discordgo reconnects and resumes; Run closes it cleanly);
//   - turns DMs, messages in the threads Kring opened (reported with their logical
//     thread key) and class-channel messages that mention Kring or reply to it into
//     message events; other channel chatter is not read;
//   - registers every dialog's commands in the guild at start with one bulk overwrite,
//     Dutch and English names and descriptions in Discord's localisation fields;
//   - acknowledges every interaction at once (deferred reply, message update or modal)
//     and hands the event to the Engine in a goroutine, so a slow Redis or dialog never
//     makes Discord show "interaction failed";
//   - sends check-ins as direct messages, choices as buttons (a select menu above five),
//     forms as a button that opens a modal, and answers in place of an interaction
//     through its webhook while its token lives (15 minutes);
//   - turns a refused DM (Discord error 50007) into chat.ErrUnreachable; the pupil is
//     then reached through ephemeral follow-ups when they next use a command;
//   - sends every message with allowed_mentions empty unless the message names whom
//     to ping, and escapes what people typed so it cannot ping, link or format;
//   - paces bot requests under Discord's global limit, lets discordgo keep the route
//     buckets, and turns 429 and 5xx answers into chat.RetryError with Retry-After.
//
// Adapter cache keys (in the chat.KV the Engine gives, under the store's prefix):
//
//	dm:<user>               DM channel id of a user (no expiry; Discord keeps it stable)
//	thread:<channel>:<key>  Discord thread id of a dialog's logical thread key
//	threadkey:<thread>      "<channel>|<key>": the class channel and logical key of a thread Kring opened
//	form:<hash>             JSON of a chat.Form behind a form button (30 days)
//	cid:<hash>              action and value of a choice too long for a custom_id (30 days)
//
// A ReplyRef this adapter puts on events is "dg1|<ms>|<d or g>|<interaction token>":
// the token lets any Kring process answer the interaction through its webhook, the time
// tells when the 15 minutes are up (then the answer goes by DM), and d/g says whether
// the interaction came from a DM (where nothing needs to be ephemeral). The token is a
// short-lived credential: it is kept in the outbox like any message field, and never
// logged; error texts have it cut out of URLs.
//
// See docs/discord.md for setting up a Discord application and running Kring with it.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/guard"
	"github.com/kring-school/kring/bot/i18n"
)

// Intents are the gateway intents Kring asks for. GUILDS tells Kring which channels the
// server has (so a class channel missing from the server is reported at start) and when
// the bot is removed; DIRECT_MESSAGES delivers what pupils type in their DM with the bot
// (Discord includes the text of DMs without the privileged MESSAGE_CONTENT intent);
// GUILD_MESSAGES delivers messages in the class channels and in the threads Kring opened
// (a poll's thread, say). Without MESSAGE_CONTENT their text is empty unless the message
// mentions Kring, so by default a pupil answers in a thread by mentioning @Kring or with
// the buttons. Interactions (commands, buttons, modals) need no intent.
const Intents = discordgo.IntentsGuilds | discordgo.IntentsDirectMessages | discordgo.IntentsGuildMessages

// ContentIntents are Intents plus the privileged MESSAGE_CONTENT intent, used when
// Options.MessageContent is set: typed answers in threads then reach Kring without a
// mention. The intent must be switched on in the application's Bot page first.
const ContentIntents = Intents | discordgo.IntentMessageContent

// DeploymentLimit is the pace of bot requests of the whole deployment, shared by every
// process through the guard: just under Discord's global limit of 50 per second.
var DeploymentLimit = guard.Limit{Rate: DefaultRate, Burst: 1, Period: time.Second}

// DefaultRate is the default pace of bot requests per second, just under Discord's
// global limit of 50 (measured: 0.96 of the limit with no 429, see BENCHMARKS.md).
const DefaultRate = 48

// replyWindow is how long Kring answers through an interaction's webhook. Discord keeps
// the token 15 minutes; the margin covers clock skew and a slow outbox.
const replyWindow = 14 * time.Minute

// Options configure an Adapter.
type Options struct {
	// Token is the bot token (from the environment; with or without the "Bot " prefix).
	Token string
	// AppID is the application id. When empty it is learned from the gateway's READY.
	AppID  string
	School *config.School
	// Commands are the commands to register. When empty, Run takes the Engine's.
	Commands []chat.Command
	Catalog  *i18n.Catalog
	// KV caches DM channel, thread and form ids across restarts and replicas. Without it
	// the adapter keeps them in memory only.
	KV    chat.KV
	Clock clock.Clock
	Log   *slog.Logger
	// Rate is the most bot requests per second this process makes (default DefaultRate):
	// an upper bound under the deployment's shared limit.
	Rate float64
	// Guard paces and pauses requests for the whole deployment (see package guard).
	// When nil the adapter makes one that paces this process only, at Rate.
	Guard *guard.Guard
	// HTTPClient is the client discordgo uses for REST calls. Tests pass a client whose
	// transport leads to a local fake server.
	HTTPClient *http.Client
	// APIBase, when set, sends every REST request for discord.com to this base URL
	// instead (scheme, host and an optional path prefix): a REST rate-limit proxy shared
	// by replicas, or a fake in end-to-end tests (env KRING_DISCORD_API_URL). The
	// gateway address comes from the REST answer to GET /gateway/bot.
	APIBase string
	// AckBudget bounds the cache lookup that must finish before a form button can be
	// answered with its modal (default 1.5s; Discord allows 3s for the whole answer).
	AckBudget time.Duration
	// HandleTimeout bounds one Engine call for an inbound event (default 1 minute).
	HandleTimeout time.Duration
	// ShutdownGrace is how long Run waits for events in progress at shutdown (default 10s).
	ShutdownGrace time.Duration
	// MessageContent asks for the privileged MESSAGE_CONTENT intent
	// (KRING_DISCORD_MESSAGE_CONTENT=1), so pupils can answer in a thread by typing
	// without mentioning the bot. Switch it on in the application's Bot page first.
	MessageContent bool
	// ResolveAfter is how long a deferred command reply may wait for its follow-up
	// before the adapter deletes the "thinking…" message (default 20s).
	ResolveAfter time.Duration
}

// Adapter is Kring on Discord. It implements chat.Adapter.
type Adapter struct {
	o      Options
	s      *discordgo.Session
	log    *slog.Logger
	clock  clock.Clock
	guard  *guard.Guard
	school *config.School
	cat    *i18n.Catalog
	kv     chat.KV
	// owner names this process in claims shared with the deployment's other processes.
	owner string

	appMu sync.RWMutex
	appID string
	// botID is the bot's own user id (from READY), to spot mentions of Kring.
	botID string

	ready     chan struct{}
	readyOnce sync.Once
	// connected is true while the gateway session is up (for /healthz).
	connected atomic.Bool

	seen  *seenSet
	forms *formCache
	dms   sync.Map // user id -> DM channel id
	// threads maps a channel id to "<class channel>|<logical key>" of a thread Kring
	// opened, or "" for any other channel.
	threads sync.Map
	// stopping is closed when shutdown begins.
	stopping chan struct{}

	runMu    sync.Mutex
	handler  chat.Engine
	commands []chat.Command
	runCtx   context.Context
	closing  bool
	wg       sync.WaitGroup
}

var _ chat.Adapter = (*Adapter)(nil)

// New builds an adapter; Run connects it.
func New(o Options) (*Adapter, error) {
	if strings.TrimSpace(strings.TrimPrefix(o.Token, "Bot ")) == "" {
		return nil, errors.New("no bot token: set DISCORD_TOKEN to the token from the Bot page of your Discord application")
	}
	if o.School == nil {
		return nil, errors.New("no school config")
	}
	if o.School.Discord.Guild == "" {
		return nil, errors.New("the school config has no discord.guild: set it to your server's id (Discord: right-click the server, Copy Server ID)")
	}
	if o.Catalog == nil {
		c, err := i18n.Load()
		if err != nil {
			return nil, fmt.Errorf("load catalogs: %w", err)
		}
		o.Catalog = c
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.AckBudget <= 0 {
		o.AckBudget = 1500 * time.Millisecond
	}
	if o.HandleTimeout <= 0 {
		o.HandleTimeout = time.Minute
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 10 * time.Second
	}
	if o.ResolveAfter <= 0 {
		o.ResolveAfter = 20 * time.Second
	}
	kv := o.KV
	if kv == nil {
		kv = chat.NewMemKV(o.Clock.Now)
	}
	a := &Adapter{
		o: o, log: o.Log, clock: o.Clock,
		guard:  o.Guard,
		school: o.School, cat: o.Catalog, kv: kv, appID: o.AppID, owner: chat.NewOwner(),
		ready: make(chan struct{}), seen: newSeenSet(8192), forms: newFormCache(2048), stopping: make(chan struct{}),
	}
	if a.guard == nil {
		a.guard = guard.New(guard.Options{Platform: chat.Discord, Local: o.Rate, Log: o.Log})
	}
	token := o.Token
	if !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	base := o.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: 20 * time.Second}
	}
	inner := base.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	if o.APIBase != "" {
		u, err := url.Parse(o.APIBase)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("KRING_DISCORD_API_URL %q: give a base URL such as https://discord-proxy.internal:8080", o.APIBase)
		}
		inner = &rebase{base: u, inner: inner}
	}
	s.Client = &http.Client{Transport: &observer{inner: inner, a: a}, Timeout: base.Timeout}
	// Kring's outbox retries with the platform's Retry-After; discordgo must not sleep and
	// retry on its own, nor retry a 502 at once.
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	s.ShouldReconnectOnError = true
	s.StateEnabled = false
	s.Identify.Intents = Intents
	if o.MessageContent {
		s.Identify.Intents = ContentIntents
	}
	s.LogLevel = discordgo.LogError
	a.s = s
	return a, nil
}

// rebase sends requests for Discord's API host to another base URL.
type rebase struct {
	base  *url.URL
	inner http.RoundTripper
}

func (r *rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	if h := req.URL.Hostname(); h != "discord.com" && h != "discordapp.com" {
		return r.inner.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = r.base.Scheme, r.base.Host
	u.Path = strings.TrimSuffix(r.base.Path, "/") + u.Path
	if u.RawPath != "" {
		u.RawPath = strings.TrimSuffix(r.base.Path, "/") + u.RawPath
	}
	out.URL, out.Host = &u, r.base.Host
	return r.inner.RoundTrip(out)
}

// Platform implements chat.Adapter.
func (a *Adapter) Platform() chat.Platform { return chat.Discord }

// Capabilities implements chat.Adapter: buttons (up to 25 choices per message, as select
// menus above five), modals, threads, PNG files, ephemeral replies, 2000 characters.
func (a *Adapter) Capabilities() chat.Capabilities {
	return chat.Capabilities{Buttons: true, Forms: true, Threads: true, Files: true, Ephemeral: true, MaxButtons: 25, MaxText: maxContent}
}

// Session returns the discordgo session (for diagnostics and tests).
func (a *Adapter) Session() *discordgo.Session { return a.s }

// Run connects to the gateway, registers the commands, and feeds events to the Engine
// until ctx is done. On shutdown it closes the gateway and waits for events in progress.
func (a *Adapter) Run(ctx context.Context, h chat.Engine) error {
	a.runMu.Lock()
	if a.handler != nil {
		a.runMu.Unlock()
		return errors.New("Run called twice")
	}
	a.handler = h
	a.runCtx = context.WithoutCancel(ctx)
	a.commands = a.o.Commands
	if len(a.commands) == 0 {
		a.commands = h.Commands()
	}
	a.runMu.Unlock()

	for _, f := range []any{a.onReady, a.onGuildCreate, a.onInteraction, a.onMessage, a.onResumed, a.onDisconnect} {
		defer a.s.AddHandler(f)()
	}
	if err := a.open(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer a.shutdown()
	select {
	case <-a.ready:
	case <-ctx.Done():
		return nil
	case <-time.After(time.Minute):
		return errors.New("connect to the Discord gateway: no READY within a minute")
	}
	if err := a.RegisterCommands(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	<-ctx.Done()
	return nil
}

// open connects to the gateway, retrying with backoff (1 s doubling to a minute) while
// Discord cannot be reached, as the Slack adapter does: a network blip or a Discord
// outage at start-up must not end the process. A refused token or intents are not
// retried: they need the operator.
func (a *Adapter) open(ctx context.Context) error {
	wait := time.Second
	for attempt := 1; ; attempt++ {
		err := a.s.Open()
		if err == nil {
			return nil
		}
		oerr := openError(err)
		if permanentOpen(err) {
			return oerr
		}
		a.log.Warn("cannot reach Discord; retrying", "attempt", attempt, "in", wait, "err", oerr)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-a.clock.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// permanentOpen reports whether a gateway connection failed for a reason retrying
// cannot fix (a refused token, refused intents).
func permanentOpen(err error) bool {
	var re *discordgo.RESTError
	var ce *websocket.CloseError
	return (errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized) ||
		(errors.As(err, &ce) && (ce.Code == 4004 || ce.Code == 4013 || ce.Code == 4014))
}

// openError explains why the gateway connection could not be made.
func openError(err error) error {
	var re *discordgo.RESTError
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized,
		errors.As(err, &ce) && ce.Code == 4004:
		return errors.New("connect to Discord: the bot token was refused; copy it again from your application's Bot page (Reset Token) into DISCORD_TOKEN")
	case errors.As(err, &ce) && (ce.Code == 4013 || ce.Code == 4014):
		return fmt.Errorf("connect to Discord: the gateway refused Kring's intents (%d); with KRING_DISCORD_MESSAGE_CONTENT=1 switch on Message Content Intent in the Bot page of your Discord application, or unset it", ce.Code)
	}
	return fmt.Errorf("connect to the Discord gateway: %w", cleanErr(err))
}

// shutdown stops taking events, closes the gateway and waits for events in progress.
func (a *Adapter) shutdown() {
	a.runMu.Lock()
	a.closing = true
	a.runMu.Unlock()
	close(a.stopping)
	if err := a.s.Close(); err != nil {
		a.log.Warn("close gateway", "err", cleanErr(err))
	}
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(a.o.ShutdownGrace):
		a.log.Warn("shutdown: events still in progress after the grace period", "grace", a.o.ShutdownGrace)
	}
}

// spawn runs f for an inbound event unless the adapter is shutting down.
func (a *Adapter) spawn(f func(ctx context.Context, h chat.Handler)) bool {
	a.runMu.Lock()
	if a.closing || a.handler == nil {
		a.runMu.Unlock()
		return false
	}
	a.wg.Add(1)
	base, h := a.runCtx, a.handler
	a.runMu.Unlock()
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(base, a.o.HandleTimeout)
		defer cancel()
		f(ctx, h)
	}()
	return true
}

// app returns the application id, asking Discord when the gateway has not told yet.
func (a *Adapter) app(ctx context.Context) (string, error) {
	a.appMu.RLock()
	id := a.appID
	a.appMu.RUnlock()
	if id != "" {
		return id, nil
	}
	body, err := a.s.RequestWithBucketID("GET", discordgo.EndpointOAuth2Application("@me"), nil,
		discordgo.EndpointOAuth2Application(""), discordgo.WithContext(ctx))
	if err != nil {
		return "", a.classify(err, "look up the application id")
	}
	var app struct {
		ID string `json:"id"`
	}
	if err := discordgo.Unmarshal(body, &app); err != nil || app.ID == "" {
		return "", fmt.Errorf("look up the application id: unexpected answer")
	}
	a.setApp(app.ID)
	return app.ID, nil
}

func (a *Adapter) setApp(id string) {
	a.appMu.Lock()
	if a.appID == "" {
		a.appID = id
	}
	a.appMu.Unlock()
}

func (a *Adapter) onReady(_ *discordgo.Session, r *discordgo.Ready) {
	if r.Application != nil && r.Application.ID != "" {
		a.setApp(r.Application.ID)
	} else if r.User != nil {
		a.setApp(r.User.ID)
	}
	if r.User != nil {
		a.appMu.Lock()
		a.botID = r.User.ID
		a.appMu.Unlock()
	}
	found := false
	for _, g := range r.Guilds {
		if g.ID == a.school.Discord.Guild {
			found = true
		}
	}
	if !found {
		a.log.Error("Kring's bot is not a member of the configured Discord server; invite it with the URL from `kring discord invite-url`",
			"guild", a.school.Discord.Guild)
	}
	user := ""
	if r.User != nil {
		user = r.User.Username
	}
	a.connected.Store(true)
	a.log.Info("connected to Discord", "bot", user, "guilds", len(r.Guilds))
	a.readyOnce.Do(func() { close(a.ready) })
}

// onGuildCreate reports class channels that the configured server does not have.
func (a *Adapter) onGuildCreate(_ *discordgo.Session, g *discordgo.GuildCreate) {
	if g.Guild == nil || g.ID != a.school.Discord.Guild {
		return
	}
	have := map[string]bool{}
	for _, c := range g.Channels {
		have[c.ID] = true
	}
	for _, c := range g.Threads {
		have[c.ID] = true
	}
	for _, c := range a.school.Classes {
		switch {
		case c.Discord.Channel == "":
			a.log.Warn("class has no Discord channel in the config; its class messages will not reach Discord", "class", c.ID)
		case !have[c.Discord.Channel]:
			a.log.Warn("class channel not found in the Discord server; check discord.channel in the config", "class", c.ID, "channel", c.Discord.Channel)
		}
	}
}

func (a *Adapter) onResumed(_ *discordgo.Session, _ *discordgo.Resumed) {
	a.connected.Store(true)
	a.log.Info("gateway session resumed")
}

// Paused reports whether Discord refuses all of Kring's sending for now (a ban, a
// revoked token, a global rate limit) and until when; /healthz and /metrics use it.
func (a *Adapter) Paused() (reason string, until time.Time) { return a.guard.Paused() }

// Connected reports whether the gateway session is up; /healthz uses it.
func (a *Adapter) Connected() bool { return a.connected.Load() }

func (a *Adapter) onDisconnect(_ *discordgo.Session, _ *discordgo.Disconnect) {
	a.connected.Store(false)
	a.runMu.Lock()
	closing := a.closing
	a.runMu.Unlock()
	if !closing {
		a.log.Warn("gateway disconnected; reconnecting")
	}
}

// Accounts resolves Discord users to roster people including the accounts linked at
// runtime (link codes); the Engine implements it.
type Accounts = chat.Accounts

// accounts returns the handler's Accounts, if it has them.
func (a *Adapter) accounts() Accounts {
	a.runMu.Lock()
	defer a.runMu.Unlock()
	ac, _ := a.handler.(Accounts)
	return ac
}

// person resolves a Discord user id to a roster person.
func (a *Adapter) person(user string) (*config.Person, bool) {
	if ac := a.accounts(); ac != nil {
		return ac.PersonFor(chat.Discord, user)
	}
	return a.school.ByPlatform(string(chat.Discord), user)
}

// discordID is a person's Discord user id, "" when they have none.
func (a *Adapter) discordID(p *config.Person) string {
	if ac := a.accounts(); ac != nil {
		return ac.AccountOf(p, chat.Discord)
	}
	return p.Discord
}

// localizer picks the language for the adapter's own texts: the person's, else the
// Discord client's, else the school's.
func (a *Adapter) localizer(user string, client discordgo.Locale) *i18n.Localizer {
	if p, ok := a.person(user); ok {
		a.runMu.Lock()
		h := a.handler
		a.runMu.Unlock()
		if h != nil {
			if l := h.LocaleOf(p); l != "" {
				return a.cat.For(l) // their own /language first
			}
		}
		return a.cat.For(a.school.LocaleFor(p))
	}
	switch {
	case strings.HasPrefix(string(client), "en"):
		return a.cat.For("en")
	case client == discordgo.Dutch:
		return a.cat.For("nl")
	}
	return a.cat.For(a.school.Locale)
}

// channelLocalizer picks the language for a message posted in a channel: its class's.
func (a *Adapter) channelLocalizer(channel string) *i18n.Localizer {
	for _, c := range a.school.Classes {
		if c.Discord.Channel == channel {
			return a.cat.For(c.Locale)
		}
	}
	return a.cat.For(a.school.Locale)
}

// snowflakeTime returns the creation time encoded in a Discord id.
func snowflakeTime(id string, fallback time.Time) time.Time {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return fallback
	}
	return time.UnixMilli(int64(n>>22) + 1420070400000)
}

// seenSet remembers the most recent ids, to drop a delivery the gateway repeats.
type seenSet struct {
	mu   sync.Mutex
	ids  map[string]bool
	ring []string
	next int
}

func newSeenSet(n int) *seenSet {
	return &seenSet{ids: make(map[string]bool, n), ring: make([]string, n)}
}

// add records id and reports whether it was new.
func (s *seenSet) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id] {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.next = (s.next + 1) % len(s.ring)
	s.ids[id] = true
	return true
}

// formCache keeps recently sent forms in memory so the modal opens without a round trip.
type formCache struct {
	mu   sync.Mutex
	m    map[string]chat.Form
	ring []string
	next int
}

func newFormCache(n int) *formCache {
	return &formCache{m: make(map[string]chat.Form, n), ring: make([]string, n)}
}

func (c *formCache) put(k string, f chat.Form) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		c.m[k] = f
		return
	}
	if old := c.ring[c.next]; old != "" {
		delete(c.m, old)
	}
	c.ring[c.next] = k
	c.next = (c.next + 1) % len(c.ring)
	c.m[k] = f
}

func (c *formCache) get(k string) (chat.Form, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.m[k]
	return f, ok
}

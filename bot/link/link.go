// Package link connects people's chat accounts to the roster without anyone copying
// user ids: one-time codes a pupil sends to the bot, Slack accounts found by e-mail,
// and staff unlinking. Links made at runtime live in one Redis hash and take precedence
// over the ids in the school file; every process keeps the hash in memory, so resolving
// a platform user costs no round trip.
//
// # Keys (under the store's PREFIX:{SCHOOL}:)
//
//	links              hash   PLATFORM:PERSON -> user id, or "-USER" when staff unlinked
//	                          USER (overruling the school file); @PLATFORM:USER -> person
//	lc:HASH            hash   a link code by its SHA-256: person, exp (ms), used (ms);
//	                          TTL: expiry + 30 days (so a late pupil hears "expired")
//	lcp:PERSON         string the hash of the person's current code (a new code revokes it)
//	lf:PLATFORM:USER   hash   wrong codes from one account: n, first, until (ms)
//
// Codes are stored only as hashes and never logged.
package link

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/store"
	"github.com/redis/go-redis/v9"
)

// Policy bounds guessing. The zero value means the defaults.
type Policy struct {
	// SlowAfter wrong codes in a Window, each further try waits Slow, doubling (default 3, 30 s).
	SlowAfter int
	Slow      time.Duration
	// BlockAfter wrong codes in a Window, the account is refused for Block (default 5, 1 h).
	BlockAfter int
	Block      time.Duration
	// Window is how long wrong codes are remembered (default 1 h).
	Window time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.SlowAfter == 0 {
		p.SlowAfter = 3
	}
	if p.Slow == 0 {
		p.Slow = 30 * time.Second
	}
	if p.BlockAfter == 0 {
		p.BlockAfter = 5
	}
	if p.Block == 0 {
		p.Block = time.Hour
	}
	if p.Window == 0 {
		p.Window = time.Hour
	}
	return p
}

// Links resolves platform accounts to roster people: the runtime links over the
// school file. It is safe for concurrent use.
type Links struct {
	school *config.School
	st     *store.Store
	clk    clock.Clock
	log    *slog.Logger
	policy Policy

	mu       sync.RWMutex
	byUser   map[string]string // PLATFORM:USER -> person
	byPerson map[string]string // PLATFORM:PERSON -> user or "-USER"
	loaded   time.Time         // when the last Refresh read Redis
}

// New returns the links of school in st. Call Refresh (or Run) to load them.
func New(school *config.School, st *store.Store, clk clock.Clock, log *slog.Logger, policy Policy) *Links {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Links{school: school, st: st, clk: clk, log: log, policy: policy.withDefaults(),
		byUser: map[string]string{}, byPerson: map[string]string{}}
}

// School returns the school the links belong to.
func (l *Links) School() *config.School { return l.school }

func (l *Links) key() string { return l.st.Key("links") }

// Refresh reloads the links from Redis (one round trip).
func (l *Links) Refresh(ctx context.Context) error {
	all, err := l.st.Client().HGetAll(ctx, l.key()).Result()
	if err != nil {
		return fmt.Errorf("load links: %w", err)
	}
	byUser, byPerson := map[string]string{}, map[string]string{}
	for k, v := range all {
		if u, ok := strings.CutPrefix(k, "@"); ok {
			byUser[u] = v
		} else {
			byPerson[k] = v
		}
	}
	l.mu.Lock()
	l.byUser, l.byPerson = byUser, byPerson
	l.loaded = l.clk.Now()
	l.mu.Unlock()
	return nil
}

// StrangerRefresh is the least time between two reloads caused by messages from
// unknown accounts, so a stranger sending many messages costs one read a second, not
// one per message.
const StrangerRefresh = time.Second

// refreshForStranger reloads the links unless that happened less than
// StrangerRefresh ago.
func (l *Links) refreshForStranger(ctx context.Context) error {
	l.mu.RLock()
	fresh := !l.loaded.IsZero() && l.clk.Now().Sub(l.loaded) < StrangerRefresh
	l.mu.RUnlock()
	if fresh {
		return nil
	}
	return l.Refresh(ctx)
}

// RefreshEvery is how often Run reloads the links, so a link made or removed by
// another process (or by a kring command) is seen here. A message from an account not
// known here is looked up at once, so a new link works on its first message.
const RefreshEvery = 30 * time.Second

// Run keeps the links fresh until ctx ends.
func (l *Links) Run(ctx context.Context) error {
	if err := l.Refresh(ctx); err != nil {
		l.log.Warn("links not loaded; the school file's ids are used until Redis answers", "err", err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.clk.After(RefreshEvery):
			if err := l.Refresh(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("refresh links", "err", err)
			}
		}
	}
}

// Person resolves an account to an active roster person: a runtime link first, then
// the school file's id unless a runtime link or unlink overrules it.
func (l *Links) Person(platform chat.Platform, user string) (*config.Person, bool) {
	if platform == chat.Shell {
		p, ok := l.school.ByPlatform(string(platform), user)
		return p, ok && p.Active()
	}
	l.mu.RLock()
	id, linked := l.byUser[string(platform)+":"+user]
	var override string
	var overridden bool
	p, inFile := l.school.ByPlatform(string(platform), user)
	if !linked && inFile {
		override, overridden = l.byPerson[string(platform)+":"+p.ID]
	}
	l.mu.RUnlock()
	if linked {
		p, ok := l.school.Person(id)
		return p, ok && p.Active()
	}
	if !inFile || !p.Active() {
		return nil, false
	}
	if overridden && override != user {
		return nil, false
	}
	return p, true
}

// Account returns the person's account id on platform ("" when none).
func (l *Links) Account(p *config.Person, platform chat.Platform) string {
	file := ""
	switch platform {
	case chat.Discord:
		file = p.Discord
	case chat.Slack:
		file = p.Slack
	case chat.Shell:
		return p.ID
	}
	l.mu.RLock()
	v, ok := l.byPerson[string(platform)+":"+p.ID]
	l.mu.RUnlock()
	switch {
	case !ok:
		return file
	case strings.HasPrefix(v, "-"):
		if v[1:] == file {
			return ""
		}
		return file
	}
	return v
}

// set records a change made here at once, before the next refresh.
func (l *Links) set(platform chat.Platform, person, user, old string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old != "" && !strings.HasPrefix(old, "-") {
		delete(l.byUser, string(platform)+":"+old)
	}
	if prev, ok := l.byPerson[string(platform)+":"+person]; ok && !strings.HasPrefix(prev, "-") {
		delete(l.byUser, string(platform)+":"+prev)
	}
	l.byPerson[string(platform)+":"+person] = user
	if !strings.HasPrefix(user, "-") {
		l.byUser[string(platform)+":"+user] = person
	}
}

//go:embed unlink.lua
var setLua string

var setScript = redis.NewScript(setLua)

// ErrTaken means the account is linked to someone else.
type ErrTaken struct{ Owner string }

func (e ErrTaken) Error() string { return "the account is already linked to " + e.Owner }

// Link links person to user on platform (an account found by e-mail, say). An account
// that belongs to someone else is refused with ErrTaken.
func (l *Links) Link(ctx context.Context, platform chat.Platform, person, user string) error {
	if q, ok := l.Person(platform, user); ok && q.ID != person {
		return ErrTaken{Owner: q.ID}
	}
	p, ok := l.school.Person(person)
	if !ok {
		return fmt.Errorf("link %s: not on the roster", person)
	}
	res, err := setScript.Run(ctx, l.st.Client(), []string{l.key()}, string(platform), person, user, fileID(p, platform)).StringSlice()
	if err != nil {
		return fmt.Errorf("link %s on %s: %w", person, platform, err)
	}
	if res[0] == "taken" {
		return ErrTaken{Owner: res[1]}
	}
	l.set(platform, person, user, "")
	return nil
}

// Unlink removes the person's account on platform; it reports whether there was one.
func (l *Links) Unlink(ctx context.Context, platform chat.Platform, person string) (bool, error) {
	p, ok := l.school.Person(person)
	if !ok {
		return false, fmt.Errorf("unlink %s: not on the roster", person)
	}
	if l.Account(p, platform) == "" {
		return false, nil
	}
	res, err := setScript.Run(ctx, l.st.Client(), []string{l.key()}, string(platform), person, "", fileID(p, platform)).StringSlice()
	if err != nil {
		return false, fmt.Errorf("unlink %s on %s: %w", person, platform, err)
	}
	if res[0] == "none" {
		return false, nil
	}
	l.set(platform, person, "-"+res[1], res[1])
	return true, nil
}

func fileID(p *config.Person, platform chat.Platform) string {
	switch platform {
	case chat.Discord:
		return p.Discord
	case chat.Slack:
		return p.Slack
	}
	return ""
}

// Platforms are the platforms people link accounts on.
var Platforms = []chat.Platform{chat.Discord, chat.Slack}

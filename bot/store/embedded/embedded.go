// Package embedded runs Kring's store in-process when no Redis is configured: a
// Redis-compatible server (miniredis) on 127.0.0.1, reached over the same go-redis
// code path as a real Redis, whose data is kept in a JSON file across restarts.
//
// It is meant for trying Kring and for one small class; miniredis is a test server,
// so real deployments should use Redis.
//
// # Durability
//
// A background flusher writes a snapshot at most once a second when something
// changed, and Close writes a last one. A clean shutdown loses nothing; a crash loses
// at most the writes of about the last second. Snapshots are written atomically
// (temporary file, fsync, rename), so the file is always a complete snapshot.
//
// # Consistency
//
// Every client made by [Server.NewClient] carries a go-redis hook that holds a read
// lock around each command and pipeline; Flush holds the write lock while it copies
// the data out of miniredis. A snapshot therefore never sees half of a MULTI/EXEC or a
// Lua script. The price is that a blocking command (BLPOP, XREAD BLOCK, ...) would
// hold the read lock, and with it every snapshot, for as long as it blocks: Kring
// never issues blocking commands to this server, and must not. Clients not made by
// NewClient bypass the lock and the change tracking, so all access goes through
// NewClient.
//
// # Time
//
// miniredis only ages TTLs when told to. Before a command runs, the hook moves
// miniredis' clock to the Kring clock's Now and ages every TTL by the time that
// passed. Aging walks every key, so it is done at most once per [TTLResolution]: the
// embedded server's clock ticks in steps of that size, and a key expires up to that
// much after its deadline.
//
// # File format
//
// The file is JSON, version 1:
//
//	{"version":1,"saved":"2025-01-02T03:04:05Z","keys":[
//	{"key":"k","type":"string","expires":"2025-01-03T00:00:00Z","string":"v"},
//	{"key":"h","type":"hash","hash":{"f":"v"}},
//	{"key":"l","type":"list","list":["a","b"]},
//	{"key":"s","type":"set","set":["a","b"]},
//	{"key":"z","type":"zset","zset":[{"member":"a","score":1.5}]}
//	]}
//
// Expiry times are absolute, so a key whose deadline passed while Kring was down is
// dropped at load. An entry whose key or values are not valid UTF-8 has
// "encoding":"base64" and all its strings base64-encoded. Per-field hash TTLs are kept
// in "hash_expires". Only database 0 is kept, and only the types string, hash, list,
// set and zset: a stream or any other type is skipped with a warning. The file holds
// pupils' data, so it is created 0600 in a directory created 0700.
//
// A lock file beside it (PATH.lock, on Linux, macOS and the BSDs) keeps a second
// Kring process from serving the same file; the kernel releases it when the process
// ends.
package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/kring-school/kring/bot/clock"
)

// TTLResolution is the step in which the embedded server's clock, and so TTL expiry,
// advances. Aging TTLs costs a walk over every key (about 2 ms for 10,000 keys), so it
// is not done for every command.
const TTLResolution = 100 * time.Millisecond

// flushInterval is how often the background flusher looks for changes to write.
const flushInterval = time.Second

// poolSize is generous on purpose: a command waiting for a pooled connection holds
// the read lock, so a pool exhausted by WATCH transactions (which keep their
// connection between commands) while a snapshot waits for the write lock would stall
// until go-redis' pool timeout. Local connections to miniredis are cheap.
const poolSize = 256

// ErrClosed is returned by commands and Flush after Close.
var ErrClosed = errors.New("embedded store closed")

// Server is an in-process Redis-compatible server whose data persists in a file.
type Server struct {
	path string
	clk  clock.Clock
	log  *slog.Logger
	m    *miniredis.Miniredis
	lock *fileLock

	// mu is read-locked by every command through a client from NewClient and
	// write-locked while a snapshot is taken or the clock is advanced.
	mu     sync.RWMutex
	closed bool      // guarded by mu
	last   time.Time // miniredis' clock; guarded by mu (written under the write lock)

	dirty atomic.Bool

	// password guards the listening port against other local processes.
	password string

	// flushMu orders snapshot file writes, so an older snapshot never replaces a newer one.
	flushMu sync.Mutex

	warnMu sync.Mutex
	warned map[string]bool // key types already warned about as not persisted

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Open loads path if it exists (creating parent dirs as needed), starts miniredis on
// 127.0.0.1 (random port), and starts a background flusher that writes the snapshot
// at most once a second when something changed.
func Open(path string, clk clock.Clock, log *slog.Logger) (*Server, error) {
	t := time.NewTicker(flushInterval)
	s, err := open(path, clk, log, t.C)
	if err != nil {
		t.Stop()
		return nil, err
	}
	go func() {
		<-s.done
		t.Stop()
	}()
	return s, nil
}

// open is Open with the flusher driven by ticks, so tests decide when it runs; a nil
// ticks channel means no background flushing.
func open(path string, clk clock.Clock, log *slog.Logger, ticks <-chan time.Time) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if path == "" {
		return nil, errors.New("embedded store: no data file path given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("embedded store %s: %w", path, err)
	}
	path = abs
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: create directory for %s: %w", path, err)
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("embedded store %s: %w", path, err)
	}

	snap, err := readSnapshot(path)
	if err != nil {
		lock.release()
		return nil, err
	}

	m := miniredis.NewMiniRedis()
	now := clk.Now()
	m.SetTime(now)
	n, err := restore(m, snap, now)
	if err != nil {
		lock.release()
		return nil, corruptError(path, err)
	}
	// The data is minors': another local process that finds the port must not read it.
	// A random password, known only to this process's clients, keeps it out.
	password, err := randomPassword()
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	m.RequireAuth(password)
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		lock.release()
		return nil, fmt.Errorf("embedded store: start server: %w", err)
	}

	s := &Server{
		path:     path,
		clk:      clk,
		log:      log,
		m:        m,
		lock:     lock,
		last:     now,
		password: password,
		warned:   map[string]bool{},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go s.flusher(ticks)
	log.Info("store opened", "store", "embedded", "path", path, "keys", n)
	return s, nil
}

func randomPassword() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random password: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.m.Addr() }

// Path returns the absolute path of the data file.
func (s *Server) Path() string { return s.path }

// NewClient returns a go-redis client for this server (redis.UniversalClient,
// DisableIdentity, the consistency hook installed). All access must go through
// clients made here.
func (s *Server) NewClient() redis.UniversalClient {
	c := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: []string{s.m.Addr()},
		// miniredis does not know CLIENT SETINFO or the maintenance notifications
		// handshake; skipping them keeps connection setup quiet.
		Password:                 s.password,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		PoolSize:                 poolSize,
	})
	c.AddHook(hook{s: s})
	return c
}

// Flush writes a snapshot now (atomically: temp file, fsync, rename).
func (s *Server) Flush() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	snap, skipped := s.snapshotLocked()
	// Cleared under the write lock: a change that lands after this is marked dirty
	// again by its hook and goes into the next snapshot.
	s.dirty.Store(false)
	s.mu.Unlock()

	s.warnSkipped(skipped)
	if err := writeSnapshot(s.path, snap); err != nil {
		s.dirty.Store(true)
		return err
	}
	return nil
}

// Close flushes and stops the server. Commands after Close fail with ErrClosed.
func (s *Server) Close() error {
	s.stopFlusher()

	s.flushMu.Lock()
	defer s.flushMu.Unlock()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	snap, skipped := s.snapshotLocked()
	s.closed = true
	s.mu.Unlock()
	s.m.Close()

	s.warnSkipped(skipped)
	err := writeSnapshot(s.path, snap)
	s.lock.release()
	if err != nil {
		return fmt.Errorf("embedded store: final flush: %w", err)
	}
	s.log.Info("store closed", "store", "embedded", "path", s.path, "keys", len(snap.Keys))
	return nil
}

// abandon stops the server without writing a snapshot, as a crash would: the last
// Flush is all that survives. For tests.
func (s *Server) abandon() {
	s.stopFlusher()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.m.Close()
	s.lock.release()
}

func (s *Server) stopFlusher() {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
}

func (s *Server) flusher(ticks <-chan time.Time) {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case <-ticks:
			if !s.dirty.Load() {
				continue
			}
			if err := s.Flush(); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Warn("embedded store flush failed; will retry", "store", "embedded", "path", s.path, "err", err)
			}
		}
	}
}

// advanceLocked moves miniredis' clock to the Kring clock and ages TTLs by the time
// that passed, never backwards. The caller holds the write lock, so no command runs
// between setting the time and aging the TTLs (an EXPIREAT in between would
// otherwise be off by the whole step).
func (s *Server) advanceLocked() {
	now := s.clk.Now()
	d := now.Sub(s.last)
	if d <= 0 {
		return
	}
	s.m.FastForward(d)
	s.m.SetTime(now)
	s.last = now
}

// needsAdvance reports whether the clock has moved at least TTLResolution past
// miniredis' clock. The caller holds the read or write lock.
func (s *Server) needsAdvance() bool {
	return s.clk.Now().Sub(s.last) >= TTLResolution
}

func (s *Server) warnSkipped(skipped map[string]int) {
	if len(skipped) == 0 {
		return
	}
	s.warnMu.Lock()
	defer s.warnMu.Unlock()
	for typ, n := range skipped {
		if s.warned[typ] {
			continue
		}
		s.warned[typ] = true
		s.log.Warn("embedded store does not persist this key type; these keys are lost on restart",
			"store", "embedded", "path", s.path, "type", typ, "keys", n)
	}
}

// ctxKey marks a context whose command already holds the read lock.
type ctxKey struct{}

// hook is the consistency hook installed on every client from NewClient.
type hook struct{ s *Server }

func (h hook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if ctx.Value(ctxKey{}) != nil {
			return next(ctx, cmd)
		}
		ctx, unlock, err := h.s.enter(ctx)
		if err != nil {
			cmd.SetErr(err)
			return err
		}
		defer unlock()
		err = next(ctx, cmd)
		if !readOnly(cmd.Name()) {
			h.s.dirty.Store(true)
		}
		return err
	}
}

func (h hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if ctx.Value(ctxKey{}) != nil {
			return next(ctx, cmds)
		}
		ctx, unlock, err := h.s.enter(ctx)
		if err != nil {
			for _, c := range cmds {
				c.SetErr(err)
			}
			return err
		}
		defer unlock()
		err = next(ctx, cmds)
		for _, c := range cmds {
			if !readOnly(c.Name()) {
				h.s.dirty.Store(true)
				break
			}
		}
		return err
	}
}

// enter takes the read lock for one command or pipeline, first advancing the clock
// if it is due. The returned context marks the lock as held: go-redis sends the
// connection handshake (HELLO) of a new connection through the same hooks, nested in
// the command that needed the connection, and a nested RLock would deadlock against
// a waiting Flush.
func (s *Server) enter(ctx context.Context) (context.Context, func(), error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ctx, nil, ErrClosed
	}
	if s.needsAdvance() {
		s.mu.RUnlock()
		s.mu.Lock()
		if !s.closed {
			s.advanceLocked()
		}
		s.mu.Unlock()
		s.mu.RLock()
		if s.closed {
			s.mu.RUnlock()
			return ctx, nil, ErrClosed
		}
	}
	return context.WithValue(ctx, ctxKey{}, true), s.mu.RUnlock, nil
}

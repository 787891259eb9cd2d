// Package store keeps Kring's state in Redis through go-redis v9's UniversalClient, so
// one URL serves a single server, Sentinel or a Cluster, and the embedded server too.
//
// # Key layout
//
// Every key starts with PREFIX:{SCHOOL}: where PREFIX is the deployment's key prefix
// (default "kring") and SCHOOL the school id from the config. The braces are a Redis
// Cluster hash tag: a dialog step commits the pupil's state, a mentor's alert, the
// class's data, shared records and the outbox entry in one Lua script, so all keys of one
// school live in one slot; several schools spread over a cluster. (The load script that
// reads the records a person's conversations listen on builds their keys from the
// person's hash; they share its slot by this tag.)
//
//	p:PERSON            hash   profile fields, dialog states (d:DIALOG), version (v), the
//	                           conversation stack (stack: JSON, lr: the shared records
//	                           its conversations listen on), last typed (typed), text
//	                           waiting for "which conversation?" (pending)
//	                           TTL: retention (holds the pupil's answers in progress)
//	p:@CLASS            hash   the same for a class's own actor (once-per-class jobs, timers)
//	c:CLASS             hash   shared class fields (day plan ...), version (v); TTL: retention
//	e:EVENTID           string dedupe marker of a handled platform event; TTL 48h
//
// Records are declared once per kind (bot/record.Kind, dialogs add theirs with
// dialog.Recorder); the key patterns below come from those declarations:
//
//	ci:PERSON:DATE      string check-in record (JSON); TTL: retention
//	cix:PERSON          zset   DATE -> day number, index of the person's check-ins; TTL: retention
//	h:ID                string help request (JSON); TTL: retention
//	hq:CLASS            zset   open help request ids -> created (ms); TTL: retention
//	KIND:ID             hash   a shared record (poll:ID ...): v version, f:FIELD whole-record
//	                           fields, m:PERSON per-member values, n:NAME counters,
//	                           s:SET:ITEM set membership; TTL: the kind's retention
//	ri:PERSON           zset   key suffixes of the records holding the person's data (owner
//	                           or member) -> written (ms); for export and erase; TTL: retention
//
//	tm                  zset   timers: DIALOG|PERSON|KEY -> due (ms)
//	tb:DIALOG|PERSON|KEY hash  a timer (dialog, person, key, payload, due, arming); kept a
//	                           week past due
//	audit:DATE          list   audit log entries of one UTC day (JSON), newest first;
//	                           TTL: retention from that day
//	ob                  zset   outbox: message id -> due time (ms)
//	om:ID               hash   outbox message: body (JSON delivery), attempts; TTL 7 days
//	obdead              zset   messages given up on -> time (ms); bodies kept 7 days
//	j:JOB:CLASS:DATE    string scheduler claim: "run:OWNER" while running, "done" after
//	kv:PLATFORM:KEY     string adapter cache (DM channel ids, thread ids)
//	lang                hash   person -> chosen language (/language), mirrored from the
//	                           profiles for messages to others; TTL: retention
//	shell               string the live terminal's lock on this prefix; TTL 30 s, renewed
//
// A person who refused DMs on a platform has the field unreachable:PLATFORM in p:PERSON
// (their mentor was told once).
package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// DedupeTTL is how long a handled event id is remembered: longer than any platform's
// retry window (Slack retries within an hour, Discord resumes within minutes).
const DedupeTTL = 48 * time.Hour

// ErrConflict means another step of the same person committed first; load and retry.
var ErrConflict = errors.New("state changed concurrently")

// ErrDuplicate means the event was handled before.
var ErrDuplicate = errors.New("event already handled")

// Store reads and writes one school's keys.
type Store struct {
	rdb       redis.UniversalClient
	base      string
	retention time.Duration
}

// New returns a store for school under prefix; records holding pupils' words expire
// after retention.
func New(rdb redis.UniversalClient, prefix, school string, retention time.Duration) *Store {
	if prefix == "" {
		prefix = "kring"
	}
	if retention <= 0 {
		// PEXPIRE 0 would delete at once: a missing setting must never erase data.
		retention = 365 * 24 * time.Hour
	}
	return &Store{rdb: rdb, base: prefix + ":{" + school + "}:", retention: retention}
}

// Client returns the underlying Redis client.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Retention returns the retention period.
func (s *Store) Retention() time.Duration { return s.retention }

// Key returns the full key for a layout suffix such as "p:anna".
func (s *Store) Key(suffix string) string { return s.base + suffix }

// PersonKey is the key of a person's hash.
func (s *Store) PersonKey(id string) string { return s.base + "p:" + id }

// ClassKey is the key of a class's hash.
func (s *Store) ClassKey(id string) string { return s.base + "c:" + id }

// Snapshot is what one Load read.
type Snapshot struct {
	// Duplicate is true when the event was handled before.
	Duplicate bool
	// Person is the person's hash (profile, dialog states, version).
	Person map[string]string
	// Class is the class's hash.
	Class map[string]string
	// Shared are the shared records read, by key suffix ("poll:42"); a record that
	// does not exist maps to an empty hash.
	Shared map[string]map[string]string
}

// Version returns the person's state version ("" when nothing is stored yet).
func (s Snapshot) Version() string { return s.Person["v"] }

// LoadRequest says what one step reads.
type LoadRequest struct {
	// Event is the event id to check for dedupe ("" skips it).
	Event  string
	Person string
	// Class is the class whose hash to read ("" skips it).
	Class string
	// Shared are key suffixes of shared records to read.
	Shared []string
	// Listening also reads the shared records the person's open conversations listen
	// on (the person hash's ListenField), for typed text.
	Listening bool
}

// ListenField is the person-hash field listing, space-separated, the key suffixes of
// the shared records the person's open conversations listen on.
const ListenField = "lr"

// listenedScript reads the records a person's open conversations listen on. It builds
// their keys from the person's own hash under the same prefix and hash tag, so on a
// Redis Cluster they live in the person key's slot.
var listenedScript = `local lr = redis.call('HGET', KEYS[1], 'lr')
if not lr then return {} end
local out = {}
for k in string.gmatch(lr, '%S+') do
  out[#out + 1] = k
  out[#out + 1] = redis.call('HGETALL', ARGV[1] .. k)
end
return out`

// Load reads, in one round trip, whether eventID was handled, the person's hash and the
// class's hash. Empty eventID or class skip those reads.
func (s *Store) Load(ctx context.Context, eventID, person, class string) (Snapshot, error) {
	return s.LoadStep(ctx, LoadRequest{Event: eventID, Person: person, Class: class})
}

// LoadStep reads everything one step needs in one pipelined round trip.
func (s *Store) LoadStep(ctx context.Context, r LoadRequest) (Snapshot, error) {
	pipe := s.rdb.Pipeline()
	var dup *redis.IntCmd
	if r.Event != "" {
		dup = pipe.Exists(ctx, s.base+"e:"+r.Event)
	}
	p := pipe.HGetAll(ctx, s.PersonKey(r.Person))
	var c *redis.MapStringStringCmd
	if r.Class != "" {
		c = pipe.HGetAll(ctx, s.ClassKey(r.Class))
	}
	shared := make([]*redis.MapStringStringCmd, len(r.Shared))
	for i, k := range r.Shared {
		shared[i] = pipe.HGetAll(ctx, s.base+k)
	}
	var listened *redis.Cmd
	if r.Listening {
		listened = pipe.Eval(ctx, listenedScript, []string{s.PersonKey(r.Person)}, s.base)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return Snapshot{}, fmt.Errorf("load %s: %w", r.Person, err)
	}
	snap := Snapshot{Person: p.Val(), Shared: map[string]map[string]string{}}
	if dup != nil {
		snap.Duplicate = dup.Val() > 0
	}
	if c != nil {
		snap.Class = c.Val()
	}
	for i, k := range r.Shared {
		snap.Shared[k] = shared[i].Val()
	}
	if listened != nil {
		vals, _ := listened.Val().([]any)
		for i := 0; i+1 < len(vals); i += 2 {
			k, _ := vals[i].(string)
			flat, _ := vals[i+1].([]any)
			h := make(map[string]string, len(flat)/2)
			for j := 0; j+1 < len(flat); j += 2 {
				f, _ := flat[j].(string)
				v, _ := flat[j+1].(string)
				h[f] = v
			}
			snap.Shared[k] = h
		}
	}
	return snap, nil
}

//go:embed commit.lua
var commitLua string

var commitScript = redis.NewScript(commitLua)

// Batch collects the writes of one dialog step. Nothing reaches Redis until Commit.
type Batch struct {
	s      *Store
	keys   []string
	keyIdx map[string]int
	head   []any
	checks []any
	args   []any
	Outbox []string // ids of outbox entries added
}

// AnyVersion makes a batch skip the version check (system notices that only add).
const AnyVersion = "*"

// NewBatch starts the writes of the step of person that handles eventID, expecting the
// person's state version to be version (from Snapshot.Version, or AnyVersion).
func (s *Store) NewBatch(person, eventID, version string) *Batch {
	b := &Batch{s: s, keyIdx: map[string]int{}}
	b.key(s.PersonKey(person))
	// KEYS[2] is always the dedupe key; without an event id it repeats KEYS[1], which
	// the script reads as "no dedupe". It is placed by hand: key() would fold the
	// repeat away and let the next write's key take its place.
	dedupe := s.PersonKey(person)
	if eventID != "" {
		dedupe = s.base + "e:" + eventID
	}
	b.keys = append(b.keys, dedupe)
	if _, ok := b.keyIdx[dedupe]; !ok {
		b.keyIdx[dedupe] = 2
	}
	b.head = []any{version, DedupeTTL.Milliseconds(), s.retention.Milliseconds()}
	return b
}

// Check makes the commit fail with ErrConflict unless the hash at key k still has
// version (its field "v"; "" for a record that did not exist when the step read it).
func (b *Batch) Check(k, version string) {
	b.checks = append(b.checks, b.key(k), version)
}

// Bump increments the version of the hash at key k, so steps that read it before this
// commit conflict, and refreshes its TTL.
func (b *Batch) Bump(k string, ttl time.Duration) {
	b.op("HINCRBY", k, "v", 1)
	b.op("PEXPIRE", k, ttl.Milliseconds())
}

// Incr adds by to field f of the hash at key k.
func (b *Batch) Incr(k, f string, by int64) {
	b.op("HINCRBY", k, f, by)
}

// SetFieldsTTL is SetFields with a TTL of its own (a record kind's retention).
func (b *Batch) SetFieldsTTL(k string, fields map[string]string, ttl time.Duration) {
	b.setFields(k, fields)
	b.op("PEXPIRE", k, ttl.Milliseconds())
}

// PutJSONTTL is PutJSON with a TTL of its own.
func (b *Batch) PutJSONTTL(k string, doc []byte, ttl time.Duration) {
	b.op("SET", k, string(doc), "PX", ttl.Milliseconds())
}

// IndexTTL is Index with a TTL of its own.
func (b *Batch) IndexTTL(k, member string, score, min float64, ttl time.Duration) {
	b.op("ZADD", k, score, member)
	b.op("ZREMRANGEBYSCORE", k, "-inf", "("+strconv.FormatFloat(min, 'f', -1, 64))
	b.op("PEXPIRE", k, ttl.Milliseconds())
}

// Unschedule removes member from the sorted set k and deletes key body (a timer).
func (b *Batch) Unschedule(k, member, body string) {
	b.op("ZREM", k, member)
	b.op("DEL", body)
}

// Schedule adds member to the sorted set k due at due (adding it again moves it).
func (b *Batch) Schedule(k, member string, due time.Time) {
	b.op("ZADD", k, due.UnixMilli(), member)
}

// Del deletes key k.
func (b *Batch) Del(k string) {
	b.op("DEL", k)
}

// Touched reports whether the batch writes or checks key k.
func (b *Batch) Touched(k string) bool {
	_, ok := b.keyIdx[k]
	return ok
}

func (b *Batch) key(k string) int {
	if i, ok := b.keyIdx[k]; ok {
		return i
	}
	b.keys = append(b.keys, k)
	b.keyIdx[k] = len(b.keys)
	return len(b.keys)
}

// op appends one Redis command on key k to the batch. Only the commands the script
// allows may be used (see commit.lua).
func (b *Batch) op(cmd, k string, args ...any) {
	b.args = append(b.args, cmd, b.key(k), len(args))
	b.args = append(b.args, args...)
}

// SetFields sets (or, for empty values, deletes) fields of the hash at key k and
// refreshes its retention TTL.
func (b *Batch) SetFields(k string, fields map[string]string) {
	b.setFields(k, fields)
	b.op("PEXPIRE", k, b.s.retention.Milliseconds())
}

func (b *Batch) setFields(k string, fields map[string]string) {
	var set []any
	var del []any
	for f, v := range fields {
		if v == "" {
			del = append(del, f)
		} else {
			set = append(set, f, v)
		}
	}
	if len(set) > 0 {
		b.op("HSET", k, set...)
	}
	if len(del) > 0 {
		b.op("HDEL", k, del...)
	}
}

// PutJSON stores a JSON document under key k with the retention TTL.
func (b *Batch) PutJSON(k string, doc []byte) {
	b.op("SET", k, string(doc), "PX", b.s.retention.Milliseconds())
}

// Index adds member with score to the sorted set k, keeps only members scored at or
// above min, and refreshes its retention TTL.
func (b *Batch) Index(k, member string, score, min float64) {
	b.op("ZADD", k, score, member)
	b.op("ZREMRANGEBYSCORE", k, "-inf", "("+strconv.FormatFloat(min, 'f', -1, 64))
	b.op("PEXPIRE", k, b.s.retention.Milliseconds())
}

// Log pushes entry onto the day list k (see AuditKey), keeps the newest max entries,
// and lets the list live for the retention period after its day.
func (b *Batch) Log(k, entry string, max int) {
	b.op("LPUSH", k, entry)
	b.op("LTRIM", k, 0, max-1)
	b.op("PEXPIRE", k, (b.s.retention + 24*time.Hour).Milliseconds())
}

// Enqueue adds an outbox entry due at due; an id already queued is left alone, so a
// retried commit never queues a message twice.
func (b *Batch) Enqueue(id string, body []byte, due time.Time) {
	b.op("ZADD", b.s.base+"ob", "NX", due.UnixMilli(), id)
	b.op("HSETNX", b.s.base+"om:"+id, "body", string(body))
	b.op("PEXPIRE", b.s.base+"om:"+id, OutboxTTL.Milliseconds())
	b.Outbox = append(b.Outbox, id)
}

// Commit applies the batch atomically: it fails with ErrConflict if the person's version
// or a checked record's version (Check) moved, with ErrDuplicate if the event was handled, and otherwise bumps the version,
// marks the event handled and runs every write. One round trip.
func (b *Batch) Commit(ctx context.Context) error {
	args := make([]any, 0, len(b.head)+1+len(b.checks)+len(b.args))
	args = append(args, b.head...)
	args = append(args, len(b.checks)/2)
	args = append(args, b.checks...)
	args = append(args, b.args...)
	res, err := commitScript.Run(ctx, b.s.rdb, b.keys, args...).Text()
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	switch res {
	case "ok":
		return nil
	case "conflict":
		return ErrConflict
	case "dup":
		return ErrDuplicate
	}
	return fmt.Errorf("commit: unexpected reply %q", res)
}

// AuditKey is the audit list of the UTC day of t.
func (s *Store) AuditKey(t time.Time) string {
	return s.base + "audit:" + t.UTC().Format("2006-01-02")
}

// AppendAudit writes one audit entry outside any dialog step (one round trip).
func (s *Store) AppendAudit(ctx context.Context, t time.Time, entry string) error {
	k := s.AuditKey(t)
	pipe := s.rdb.TxPipeline()
	pipe.LPush(ctx, k, entry)
	pipe.PExpire(ctx, k, s.retention+24*time.Hour)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// OutboxTTL bounds how long an undelivered message (which may quote a pupil) is kept.
const OutboxTTL = 7 * 24 * time.Hour

// KV is the adapter cache of one platform (chat.KV).
type KV struct {
	s        *Store
	platform string
}

// KV returns the cache for platform.
func (s *Store) KV(platform string) *KV { return &KV{s: s, platform: platform} }

// Get returns the cached value.
func (k *KV) Get(ctx context.Context, key string) (string, bool, error) {
	v, err := k.s.rdb.Get(ctx, k.s.base+"kv:"+k.platform+":"+key).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("kv get %s: %w", key, err)
	}
	return v, true, nil
}

// Set stores a value; ttl 0 keeps it.
func (k *KV) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := k.s.rdb.Set(ctx, k.s.base+"kv:"+k.platform+":"+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("kv set %s: %w", key, err)
	}
	return nil
}

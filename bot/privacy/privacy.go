// Package privacy answers a request to see (AVG art. 15) or erase (art. 17) one
// person's data: it finds everything the store holds about a roster id, exports it as
// one JSON bundle, and erases it.
//
// What it looks for comes from the declared record kinds (record.Kind: built-in and
// every dialog's), not from a list of key prefixes kept here: a person's documents
// (check-ins, help requests, nods, relayed messages, notes, question copies), their
// indexes, and their share of shared records (their member field, the set entries
// naming them, and what a dialog that implements dialog.PersonalData says is theirs).
// Besides the records it covers the places the engine and adapters keep outside them:
// the profile hash, the language mirror, dedupe markers, queued messages, timers,
// linked accounts and link codes, DM channel caches, wrong-code counters, Slack forms
// and the audit log.
//
// It reads with one SCAN over the school's keys and pipelined reads, never KEYS.
package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/outbox"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/store"
	"github.com/redis/go-redis/v9"
)

// Options say where to look.
type Options struct {
	Store *store.Store
	// Kinds are the declared record kinds (bot.Engine.Kinds).
	Kinds *record.Kinds
	// Dialogs are the registered dialogs (bot.Engine.Dialogs); those that implement
	// dialog.PersonalData tell which whole-record fields of their records are whose.
	Dialogs []dialog.Dialog
	// School, when it still lists the person, gives their platform ids and name (for
	// DM caches and queued messages that name them). Optional.
	School *config.School
}

// Privacy finds, exports and erases one person's data. It holds no state between
// calls and is safe for concurrent use.
type Privacy struct {
	st       *store.Store
	school   *config.School
	personal map[string]dialog.PersonalData
	docs     []docKind
	shared   []sharedKind
}

type docKind struct {
	kind  record.Kind
	key   *regexp.Regexp // owner (when the key has one) and id
	index *regexp.Regexp // the index key; group or owner
	owned bool           // the key names the owner
	ownIx bool           // the index is per owner
}

type sharedKind struct {
	kind record.Kind
	key  *regexp.Regexp
}

// idPattern matches a roster id (letters, digits, '.', '_', '-'), the only characters
// config allows in one; record ids may be anything.
const idPattern = `([A-Za-z0-9._-]+)`

// rosterID is what config accepts as a roster id: a person named otherwise has no data.
var rosterID = regexp.MustCompile("^" + idPattern + "$")

// patternRegexp turns a kind's key pattern into a regexp over key suffixes.
func patternRegexp(pattern string) *regexp.Regexp {
	q := regexp.QuoteMeta(pattern)
	q = strings.NewReplacer(regexp.QuoteMeta("{owner}"), idPattern, regexp.QuoteMeta("{group}"), `(.+)`,
		regexp.QuoteMeta("{id}"), `(.+)`).Replace(q)
	return regexp.MustCompile("^" + q + "$")
}

// New prepares the matchers for the declared kinds.
func New(o Options) (*Privacy, error) {
	if o.Store == nil || o.Kinds == nil {
		return nil, errors.New("privacy: store and kinds are required")
	}
	p := &Privacy{st: o.Store, school: o.School, personal: map[string]dialog.PersonalData{}}
	for _, d := range o.Dialogs {
		rd, ok := d.(dialog.Recorder)
		pd, ok2 := d.(dialog.PersonalData)
		if !ok || !ok2 {
			continue
		}
		for _, k := range rd.Records() {
			p.personal[k.Name] = pd
		}
	}
	for _, k := range o.Kinds.All() {
		switch {
		case k.Shape == record.Document && k.Owners == record.OwnedByOwner:
			dk := docKind{kind: k, key: patternRegexp(k.Key), owned: strings.Contains(k.Key, "{owner}")}
			if k.Index != "" {
				dk.index = patternRegexp(k.Index)
				dk.ownIx = strings.Contains(k.Index, "{owner}")
			}
			p.docs = append(p.docs, dk)
		case k.Shape == record.SharedRecord && k.Owners == record.OwnedByMembers:
			p.shared = append(p.shared, sharedKind{kind: k, key: patternRegexp(k.Key)})
		}
	}
	return p, nil
}

// Doc is one document record of the person.
type Doc struct {
	Kind string `json:"kind"`
	// Key is the key under the school's prefix, e.g. "ci:anna:2026-11-23".
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// Share is the person's part of one shared record.
type Share struct {
	Kind string `json:"kind"`
	// Key is the record's key under the school's prefix, e.g. "disc:42".
	Key string `json:"key"`
	// Whole: the record is about the person alone (Fields holds all of it).
	Whole bool `json:"whole,omitempty"`
	// Member is their member value (an answer, a vote, their arguments).
	Member any `json:"member,omitempty"`
	// Sets are the sets that list them (a debate side, "agreed with answer X").
	Sets []string `json:"sets,omitempty"`
	// Fields are the whole-record fields that hold their data.
	Fields map[string]any `json:"fields,omitempty"`

	hashFields []string          // the hash fields that are theirs
	rewrite    map[string]string // hash field -> new value ("" deletes)
}

// AuditEntry is an audit log entry naming the person.
type AuditEntry struct {
	record.Audit
	// Sole: the person is the actor or the only subject (--audit removes these).
	Sole bool `json:"-"`
	key  string
	raw  string
}

// Timer is one of the person's armed timers.
type Timer struct {
	ID   string            `json:"id"`
	Body map[string]string `json:"timer"`
}

// Found is everything the store holds about one person.
type Found struct {
	Person   string
	Profile  map[string]string
	Language string
	Docs     []Doc
	Shares   []Share
	// Accounts are their fields of the links hash (PLATFORM:ID and @PLATFORM:USER).
	Accounts map[string]string
	Timers   []Timer
	// ToThem are queued messages addressed to them (outbox entries, without the
	// platform's reply handle).
	ToThem []json.RawMessage
	Audit  []AuditEntry

	// wholeKeys are keys that are only theirs, by what they are (for counts).
	wholeKeys map[string][]string
	// zrem are sorted-set members to remove (an index of a class, the outbox, timers).
	zrem map[string][]string
	// outbox are queued message ids that are to, or name, them.
	outbox []string
}

// noRecordKeys are the kinds of keys that are not records, as counted.
const (
	whatIndex   = "index"
	whatDedupe  = "dedupe markers"
	whatCodes   = "link codes"
	whatCaches  = "DM caches and wrong-code counters"
	whatForms   = "Slack forms"
	whatProfile = "profile"
	whatTimers  = "timers"
)

func (f *Found) addKey(what, key string) {
	if f.wholeKeys == nil {
		f.wholeKeys = map[string][]string{}
	}
	f.wholeKeys[what] = append(f.wholeKeys[what], key)
}

// engineSet are the sorted sets of the outbox and the timers: their entries are
// counted with the messages and timers they list.
var engineSet = map[string]bool{"ob": true, "obdead": true, "tm": true}

// Count is how much of one kind of data was found.
type Count struct {
	What string
	N    int
	// Unit says what N counts ("records", "keys", "fields", "entries").
	Unit string
}

// Counts lists what was found, kind by kind, in a stable order.
func (f *Found) Counts() []Count {
	var out []Count
	perKind := map[string]int{}
	for _, d := range f.Docs {
		perKind[d.Kind]++
	}
	for k, n := range perKind {
		out = append(out, Count{What: k, N: n, Unit: "records"})
	}
	shares := map[string]int{}
	for _, s := range f.Shares {
		shares[s.Kind]++
	}
	for k, n := range shares {
		out = append(out, Count{What: k + " (shared)", N: n, Unit: "records with their part"})
	}
	for what, keys := range f.wholeKeys {
		out = append(out, Count{What: what, N: len(keys), Unit: "keys"})
	}
	if f.Language != "" {
		out = append(out, Count{What: "language", N: 1, Unit: "fields"})
	}
	if len(f.Accounts) > 0 {
		out = append(out, Count{What: "linked accounts", N: len(f.Accounts), Unit: "fields"})
	}
	if len(f.Timers) > 0 {
		out = append(out, Count{What: whatTimers, N: len(f.Timers), Unit: "timers"})
	}
	if len(f.outbox) > 0 {
		out = append(out, Count{What: "queued messages", N: len(f.outbox), Unit: "messages"})
	}
	n := 0
	for ix, members := range f.zrem {
		if !engineSet[ix] {
			n += len(members)
		}
	}
	if n > 0 {
		out = append(out, Count{What: "class index entries", N: n, Unit: "entries"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].What < out[j].What })
	return out
}

// AuditCounts says how many audit entries name the person, and in how many they are
// the actor or the only subject.
func (f *Found) AuditCounts() (all, sole int) {
	for _, a := range f.Audit {
		if a.Sole {
			sole++
		}
	}
	return len(f.Audit), sole
}

// Summary renders the counts on one line, for the audit entry's detail (never data).
func (f *Found) Summary() string {
	var parts []string
	for _, c := range f.Counts() {
		parts = append(parts, fmt.Sprintf("%s:%d", strings.ReplaceAll(c.What, " ", "_"), c.N))
	}
	all, _ := f.AuditCounts()
	parts = append(parts, fmt.Sprintf("audit_entries:%d", all))
	return strings.Join(parts, " ")
}

// batch is how many commands one pipeline round trip carries.
const batch = 500

// Find collects everything the store holds about roster id person.
func (p *Privacy) Find(ctx context.Context, person string) (*Found, error) {
	if !rosterID.MatchString(person) {
		return nil, fmt.Errorf("find %q: not a roster id", person)
	}
	rdb := p.st.Client()
	f := &Found{Person: person, Accounts: map[string]string{}, zrem: map[string][]string{}}

	// First the keys named by the id itself, and what says where else to look.
	pipe := rdb.Pipeline()
	prof := pipe.HGetAll(ctx, p.st.PersonKey(person))
	ri := pipe.ZRange(ctx, p.st.Key("ri:"+person), 0, -1)
	lang := pipe.HGet(ctx, p.st.Key("lang"), person)
	links := pipe.HGetAll(ctx, p.st.Key("links"))
	lcp := pipe.Get(ctx, p.st.Key("lcp:"+person))
	ownIx := make([]*redis.StringSliceCmd, len(p.docs))
	for i, dk := range p.docs {
		if dk.ownIx {
			ownIx[i] = pipe.ZRange(ctx, p.st.Key(dk.kind.IndexFor(person, "")), 0, -1)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("find %s: %w", person, err)
	}
	f.Profile = prof.Val()
	if len(f.Profile) > 0 {
		f.addKey(whatProfile, "p:"+person)
	}
	f.Language = lang.Val()

	docKeys := map[string]string{} // key suffix -> kind
	for _, k := range ri.Val() {
		// The index lists shared records too; the scan below finds those by kind.
		if kind := p.docKindOf(k); kind != "" {
			docKeys[k] = kind
		}
	}
	for i, dk := range p.docs {
		if ownIx[i] == nil {
			continue
		}
		for _, id := range ownIx[i].Val() {
			docKeys[dk.kind.KeyFor(person, id)] = dk.kind.Name
		}
	}

	// Accounts: their own fields, and the reverse fields pointing at them.
	users := map[string]bool{} // PLATFORM:USER
	for k, v := range links.Val() {
		plat, who, ok := strings.Cut(k, ":")
		switch {
		case ok && !strings.HasPrefix(k, "@") && who == person:
			f.Accounts[k] = v
			users[plat+":"+strings.TrimPrefix(v, "-")] = true
		case strings.HasPrefix(k, "@") && v == person:
			f.Accounts[k] = v
			users[strings.TrimPrefix(k, "@")] = true
		}
	}
	var first string
	var name string
	if p.school != nil {
		if x, ok := p.school.Person(person); ok {
			if x.Discord != "" {
				users["discord:"+x.Discord] = true
			}
			if x.Slack != "" {
				users["slack:"+x.Slack] = true
			}
			name = x.Name
			first, _, _ = strings.Cut(strings.TrimSpace(x.Name), " ")
		}
	}
	caches := map[string]bool{}
	for u := range users {
		plat, user, _ := strings.Cut(u, ":")
		if user == "" {
			continue
		}
		caches["kv:"+plat+":dm:"+user] = true
		caches["lf:"+plat+":"+user] = true
	}
	if h := lcp.Val(); h != "" {
		f.addKey(whatCodes, "lcp:"+person)
		f.addKey(whatCodes, "lc:"+h)
	}

	// One pass over the school's keys for everything no index lists.
	var (
		unowned   []string              // documents whose key does not name the owner
		candidate = map[string]string{} // shared record key -> kind
		groupIx   = map[string]string{} // class index key -> kind
		msgs      []string
		codes     []string
		forms     []string
		audits    []string
		timers    []string
	)
	base := p.st.Key("")
	iter := rdb.Scan(ctx, 0, globEscape(base)+"*", 1000).Iterator()
	for iter.Next(ctx) {
		k := strings.TrimPrefix(iter.Val(), base)
		switch {
		case k == "ri:"+person:
			f.addKey(whatIndex, k)
			continue
		case strings.HasPrefix(k, "e:"):
			if namesID(k[2:], person) {
				f.addKey(whatDedupe, k)
			}
			continue
		case strings.HasPrefix(k, "om:"):
			msgs = append(msgs, k)
			continue
		case strings.HasPrefix(k, "tb:"):
			if parts := strings.Split(k[3:], "|"); len(parts) >= 2 && parts[1] == person {
				timers = append(timers, k)
			}
			continue
		case strings.HasPrefix(k, "lc:"):
			codes = append(codes, k)
			continue
		case strings.HasPrefix(k, "audit:"):
			audits = append(audits, k)
			continue
		case caches[k]:
			f.addKey(whatCaches, k)
			continue
		case strings.HasPrefix(k, "kv:slack:form:"):
			if first != "" {
				forms = append(forms, k)
			}
			continue
		}
		matched := false
		for _, dk := range p.docs {
			if m := dk.key.FindStringSubmatch(k); m != nil {
				matched = true
				switch {
				case dk.owned && m[1] == person:
					docKeys[k] = dk.kind.Name
				case !dk.owned:
					if _, ok := docKeys[k]; !ok {
						unowned = append(unowned, k)
					}
				}
				break
			}
			if dk.index != nil {
				if m := dk.index.FindStringSubmatch(k); m != nil {
					matched = true
					if dk.ownIx && m[1] == person {
						f.addKey(whatIndex, k)
					} else if !dk.ownIx {
						groupIx[k] = dk.kind.Name
					}
					break
				}
			}
		}
		if matched {
			continue
		}
		for _, sk := range p.shared {
			if sk.key.MatchString(k) {
				candidate[k] = sk.kind.Name
				break
			}
		}
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("find %s: scan: %w", person, err)
	}

	if err := p.readDocs(ctx, f, docKeys, unowned); err != nil {
		return nil, err
	}
	if err := p.readShared(ctx, f, candidate); err != nil {
		return nil, err
	}
	if err := p.readGroupIndexes(ctx, f, groupIx); err != nil {
		return nil, err
	}
	if err := p.readMessages(ctx, f, msgs, name); err != nil {
		return nil, err
	}
	if err := p.readTimers(ctx, f, timers); err != nil {
		return nil, err
	}
	if err := p.readCodes(ctx, f, codes); err != nil {
		return nil, err
	}
	if err := p.readForms(ctx, f, forms, first); err != nil {
		return nil, err
	}
	if err := p.readAudit(ctx, f, audits); err != nil {
		return nil, err
	}
	sort.Slice(f.Docs, func(i, j int) bool { return f.Docs[i].Key < f.Docs[j].Key })
	sort.Slice(f.Shares, func(i, j int) bool { return f.Shares[i].Key < f.Shares[j].Key })
	return f, nil
}

// namesID reports whether a dedupe marker's event id names person as one of its parts
// ("job:checkin.checkin:2B:2026-11-23:anna", "tm:alerts|anna|resend:…"): the exact id,
// never a longer one that starts with it.
func namesID(event, person string) bool {
	for _, part := range strings.FieldsFunc(event, func(r rune) bool { return r == ':' || r == '|' }) {
		if part == person {
			return true
		}
	}
	return false
}

// globEscape quotes the glob characters of a literal key prefix for SCAN MATCH.
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`).Replace(s)
}

// jsonValue gives a stored JSON document as JSON and anything else as a string, so the
// export reads as what it is.
func jsonValue(s string) any {
	t := strings.TrimSpace(s)
	if (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
		return json.RawMessage(t)
	}
	return s
}

// readDocs reads the person's documents, and the documents of kinds whose key does not
// name the owner (help requests) to see whose they are: a record the owner index
// missed (written before it existed) is still found.
func (p *Privacy) readDocs(ctx context.Context, f *Found, keys map[string]string, unowned []string) error {
	all := make([]string, 0, len(keys)+len(unowned))
	for k := range keys {
		all = append(all, k)
	}
	sort.Strings(all)
	all = append(all, unowned...)
	vals, err := p.getAll(ctx, all)
	if err != nil {
		return fmt.Errorf("find %s: records: %w", f.Person, err)
	}
	for i, k := range all {
		v := vals[i]
		kind := p.docKindOf(k)
		if v == "" || kind == "" {
			continue // expired since it was listed
		}
		if i >= len(keys) && !ownedBy(v, f.Person) {
			continue
		}
		f.Docs = append(f.Docs, Doc{Kind: kind, Key: k, Value: jsonValue(v)})
	}
	return nil
}

func (p *Privacy) docKindOf(key string) string {
	for _, dk := range p.docs {
		if dk.key.MatchString(key) {
			return dk.kind.Name
		}
	}
	return ""
}

// ownedBy reports whether a document whose key does not name its owner is person's:
// the records of such kinds name the owner in their "person" field (record.HelpRequest).
func ownedBy(doc, person string) bool {
	var d struct {
		Person string `json:"person"`
	}
	return json.Unmarshal([]byte(doc), &d) == nil && d.Person == person
}

// getAll GETs keys (suffixes), pipelined; a missing or non-string key reads "".
func (p *Privacy) getAll(ctx context.Context, keys []string) ([]string, error) {
	out := make([]string, len(keys))
	for start := 0; start < len(keys); start += batch {
		end := min(start+batch, len(keys))
		pipe := p.st.Client().Pipeline()
		cmds := make([]*redis.StringCmd, end-start)
		for i, k := range keys[start:end] {
			cmds[i] = pipe.Get(ctx, p.st.Key(k))
		}
		// Errors per command (redis.Nil, WRONGTYPE for an index listed in ri:) are
		// read below; only a failed round trip stops the search.
		if _, err := pipe.Exec(ctx); err != nil && !isCmdErr(err) {
			return nil, err
		}
		for i, c := range cmds {
			out[start+i] = c.Val()
		}
	}
	return out, nil
}

// isCmdErr reports whether err is one command's answer rather than a connection error.
func isCmdErr(err error) bool {
	if errors.Is(err, redis.Nil) {
		return true
	}
	var re redis.Error
	return errors.As(err, &re)
}

// readShared finds the person's part of every shared record of a kind whose members
// own their data. HKEYS first (a record's field names say whether they are a member or
// in a set); whole records are read only where that, or a dialog's PersonalData,
// needs the values.
func (p *Privacy) readShared(ctx context.Context, f *Found, candidates map[string]string) error {
	keys := make([]string, 0, len(candidates))
	for k := range candidates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var read []string
	for start := 0; start < len(keys); start += batch {
		end := min(start+batch, len(keys))
		pipe := p.st.Client().Pipeline()
		cmds := make([]*redis.StringSliceCmd, end-start)
		for i, k := range keys[start:end] {
			cmds[i] = pipe.HKeys(ctx, p.st.Key(k))
		}
		if _, err := pipe.Exec(ctx); err != nil && !isCmdErr(err) {
			return fmt.Errorf("find %s: shared records: %w", f.Person, err)
		}
		for i, c := range cmds {
			k := keys[start+i]
			if p.personal[candidates[k]] != nil || theirField(c.Val(), f.Person) {
				read = append(read, k)
			}
		}
	}
	for start := 0; start < len(read); start += batch {
		end := min(start+batch, len(read))
		pipe := p.st.Client().Pipeline()
		cmds := make([]*redis.MapStringStringCmd, end-start)
		for i, k := range read[start:end] {
			cmds[i] = pipe.HGetAll(ctx, p.st.Key(k))
		}
		if _, err := pipe.Exec(ctx); err != nil && !isCmdErr(err) {
			return fmt.Errorf("find %s: shared records: %w", f.Person, err)
		}
		for i, c := range cmds {
			k := read[start+i]
			if s, ok := p.share(candidates[k], k, c.Val(), f.Person); ok {
				f.Shares = append(f.Shares, s)
			}
		}
	}
	return nil
}

func theirField(fields []string, person string) bool {
	for _, fl := range fields {
		if fl == bot.MemberField(person) {
			return true
		}
		if _, item, ok := bot.SetEntry(fl); ok && item == person {
			return true
		}
	}
	return false
}

// share is person's part of the shared record at key (suffix) of kind.
func (p *Privacy) share(kind, key string, h map[string]string, person string) (Share, bool) {
	if len(h) == 0 {
		return Share{}, false
	}
	s := Share{Kind: kind, Key: key, rewrite: map[string]string{}}
	if v, ok := h[bot.MemberField(person)]; ok {
		s.Member = jsonValue(v)
		s.hashFields = append(s.hashFields, bot.MemberField(person))
	}
	for fl := range h {
		if set, item, ok := bot.SetEntry(fl); ok && item == person {
			s.Sets = append(s.Sets, set)
			s.hashFields = append(s.hashFields, fl)
		}
	}
	sort.Strings(s.Sets)
	if pd := p.personal[kind]; pd != nil {
		_, id, _ := strings.Cut(key, ":")
		rec := bot.DecodeShared(dialog.Ref{Kind: kind, ID: id}, h)
		mine := pd.Personal(kind, rec, person)
		s.Whole = mine.Whole
		for _, name := range mine.Fields {
			v, ok := rec.Fields[name]
			if !ok {
				continue
			}
			if s.Fields == nil {
				s.Fields = map[string]any{}
			}
			s.Fields[name] = jsonValue(v)
			s.hashFields = append(s.hashFields, bot.WholeField(name))
			if mine.Erase != nil {
				if nv, ok := mine.Erase[name]; ok {
					s.rewrite[bot.WholeField(name)] = nv
				}
			}
		}
	}
	sort.Strings(s.hashFields)
	return s, len(s.hashFields) > 0 || s.Whole
}

// readGroupIndexes finds the entries of class indexes (hq:CLASS) that list the person's
// documents.
func (p *Privacy) readGroupIndexes(ctx context.Context, f *Found, indexes map[string]string) error {
	ids := map[string][]string{} // kind -> ids of the person's documents
	for _, d := range f.Docs {
		for _, dk := range p.docs {
			if dk.kind.Name == d.Kind && dk.index != nil && !dk.ownIx {
				if m := dk.key.FindStringSubmatch(d.Key); m != nil {
					ids[d.Kind] = append(ids[d.Kind], m[len(m)-1])
				}
			}
		}
	}
	type probe struct {
		key, id string
		cmd     *redis.FloatCmd
	}
	var probes []probe
	pipe := p.st.Client().Pipeline()
	for ix, kind := range indexes {
		for _, id := range ids[kind] {
			probes = append(probes, probe{key: ix, id: id, cmd: pipe.ZScore(ctx, p.st.Key(ix), id)})
		}
	}
	if len(probes) == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !isCmdErr(err) {
		return fmt.Errorf("find %s: indexes: %w", f.Person, err)
	}
	for _, pr := range probes {
		if pr.cmd.Err() == nil {
			f.zrem[pr.key] = append(f.zrem[pr.key], pr.id)
		}
	}
	return nil
}

// readMessages finds queued messages addressed to the person (exported and erased) or
// naming them by id or name (erased: they may quote them).
func (p *Privacy) readMessages(ctx context.Context, f *Found, keys []string, name string) error {
	pipe := p.st.Client().Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HGet(ctx, p.st.Key(k), "body")
	}
	if len(keys) == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !isCmdErr(err) {
		return fmt.Errorf("find %s: outbox: %w", f.Person, err)
	}
	quoted := `"` + f.Person + `"`
	for i, c := range cmds {
		body := c.Val()
		if body == "" {
			continue
		}
		var e outbox.Entry
		to := json.Unmarshal([]byte(body), &e) == nil && e.Delivery.Message.To.Person == f.Person
		if to {
			// The platform's reply handle answers a click in place: a short-lived
			// credential, not the person's data, so it stays out of the export.
			e.Delivery.Message.ReplyRef = ""
			if doc, err := json.Marshal(e); err == nil {
				f.ToThem = append(f.ToThem, doc)
			}
		}
		if to || strings.Contains(body, quoted) || (name != "" && strings.Contains(body, name)) {
			id := strings.TrimPrefix(keys[i], "om:")
			f.outbox = append(f.outbox, id)
			f.zrem["ob"] = append(f.zrem["ob"], id)
			f.zrem["obdead"] = append(f.zrem["obdead"], id)
		}
	}
	return nil
}

// readTimers reads the person's timers (their payload may be a mentor's message to them).
func (p *Privacy) readTimers(ctx context.Context, f *Found, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := p.st.Client().Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HGetAll(ctx, p.st.Key(k))
	}
	if _, err := pipe.Exec(ctx); err != nil && !isCmdErr(err) {
		return fmt.Errorf("find %s: timers: %w", f.Person, err)
	}
	for i, c := range cmds {
		id := strings.TrimPrefix(keys[i], "tb:")
		f.Timers = append(f.Timers, Timer{ID: id, Body: c.Val()})
		f.zrem["tm"] = append(f.zrem["tm"], id)
	}
	return nil
}

// readCodes finds link codes made for the person besides the current one (used codes
// are kept until they expire).
func (p *Privacy) readCodes(ctx context.Context, f *Found, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := p.st.Client().Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HGet(ctx, p.st.Key(k), "person")
	}
	if _, err := pipe.Exec(ctx); err != nil && !isCmdErr(err) {
		return fmt.Errorf("find %s: link codes: %w", f.Person, err)
	}
	have := map[string]bool{}
	for _, k := range f.wholeKeys[whatCodes] {
		have[k] = true
	}
	for i, c := range cmds {
		if c.Val() == f.Person && !have[keys[i]] {
			f.addKey(whatCodes, keys[i])
		}
	}
	return nil
}

// readForms finds Slack forms waiting to be opened that greet the person by first name.
// A namesake's pending form may be among them; it asks them to start again, no more.
func (p *Privacy) readForms(ctx context.Context, f *Found, keys []string, first string) error {
	if len(keys) == 0 || first == "" {
		return nil
	}
	vals, err := p.getAll(ctx, keys)
	if err != nil {
		return fmt.Errorf("find %s: Slack forms: %w", f.Person, err)
	}
	word := regexp.MustCompile(`(^|\W)` + regexp.QuoteMeta(first) + `(\W|$)`)
	for i, v := range vals {
		var rec struct {
			Text string `json:"text"`
		}
		if json.Unmarshal([]byte(v), &rec) == nil && word.MatchString(rec.Text) {
			f.addKey(whatForms, keys[i])
		}
	}
	return nil
}

// readAudit finds the audit entries naming the person: as actor, as subject, or in a
// comma-separated subject. Days are read a few at a time, so a year of audit log is
// never in memory at once.
func (p *Privacy) readAudit(ctx context.Context, f *Found, keys []string) error {
	sort.Strings(keys)
	const days = 16
	for start := 0; start < len(keys); start += days {
		end := min(start+days, len(keys))
		pipe := p.st.Client().Pipeline()
		cmds := make([]*redis.StringSliceCmd, end-start)
		for i, k := range keys[start:end] {
			cmds[i] = pipe.LRange(ctx, p.st.Key(k), 0, -1)
		}
		if _, err := pipe.Exec(ctx); err != nil && !isCmdErr(err) {
			return fmt.Errorf("find %s: audit log: %w", f.Person, err)
		}
		for i, c := range cmds {
			for _, raw := range c.Val() {
				if !strings.Contains(raw, f.Person) {
					continue
				}
				var a record.Audit
				if json.Unmarshal([]byte(raw), &a) != nil {
					continue
				}
				// The record of an export or erasure is the school's answer to the
				// request: it stays, whoever asks to remove entries about the person.
				sole := (a.Actor == f.Person || a.Subject == f.Person) && !strings.HasPrefix(a.Action, "privacy-")
				listed := false
				for _, s := range strings.Split(a.Subject, ",") {
					listed = listed || s == f.Person
				}
				if sole || listed {
					f.Audit = append(f.Audit, AuditEntry{Audit: a, Sole: sole, key: keys[start+i], raw: raw})
				}
			}
		}
	}
	return nil
}

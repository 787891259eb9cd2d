package embedded

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/alicebob/miniredis/v2"
)

// formatVersion is the version of the data file format this package writes and reads.
const formatVersion = 1

// snapshot is the data file's content.
type snapshot struct {
	Version int       `json:"version"`
	Saved   time.Time `json:"saved"`
	Keys    []entry   `json:"keys"`
}

// entry is one key. Exactly one of the value fields matches Type.
type entry struct {
	Key  string `json:"key"`
	Type string `json:"type"`
	// Expires is the absolute deadline, nil for a key without TTL.
	Expires *time.Time `json:"expires,omitempty"`
	// Encoding is "base64" when the key or a value is not valid UTF-8 (JSON strings
	// cannot carry arbitrary bytes); then every string of the entry is base64.
	Encoding    string               `json:"encoding,omitempty"`
	String      *string              `json:"string,omitempty"`
	Hash        map[string]string    `json:"hash,omitempty"`
	HashExpires map[string]time.Time `json:"hash_expires,omitempty"`
	List        []string             `json:"list,omitempty"`
	Set         []string             `json:"set,omitempty"`
	ZSet        []zmember            `json:"zset,omitempty"`
}

type zmember struct {
	Member string `json:"member"`
	Score  score  `json:"score"`
}

// score is a sorted-set score. JSON numbers cannot hold ±Inf, which Redis scores
// can, so those are written as the strings "+inf" and "-inf".
type score float64

func (s score) MarshalJSON() ([]byte, error) {
	f := float64(s)
	switch {
	case math.IsInf(f, 1):
		return []byte(`"+inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-inf"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (s *score) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"+inf"`:
		*s = score(math.Inf(1))
		return nil
	case `"-inf"`:
		*s = score(math.Inf(-1))
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("bad score %s", b)
	}
	*s = score(f)
	return nil
}

// snapshotLocked copies every key of database 0 out of miniredis, after bringing its
// clock up to date. The caller holds the write lock, so no command runs meanwhile.
// skipped counts the keys of types the file format does not keep.
func (s *Server) snapshotLocked() (snap snapshot, skipped map[string]int) {
	s.advanceLocked()
	now := s.last
	m := s.m
	snap = snapshot{Version: formatVersion, Saved: now.UTC()}
	for _, k := range m.Keys() {
		e := entry{Key: k, Type: m.Type(k)}
		var err error
		switch e.Type {
		case "string":
			var v string
			v, err = m.Get(k)
			e.String = &v
		case "hash":
			var fields []string
			fields, err = m.HKeys(k)
			e.Hash = make(map[string]string, len(fields))
			for _, f := range fields {
				e.Hash[f] = m.HGet(k, f)
				if ttl := m.HTTL(k, f); ttl > 0 {
					if e.HashExpires == nil {
						e.HashExpires = map[string]time.Time{}
					}
					e.HashExpires[f] = now.Add(ttl).UTC()
				}
			}
		case "list":
			var l []string
			l, err = m.List(k)
			// miniredis hands out its own slice; copy it before the lock is released.
			e.List = slices.Clone(l)
		case "set":
			e.Set, err = m.Members(k)
		case "zset":
			var z map[string]float64
			z, err = m.SortedSet(k)
			for _, mem := range slices.Sorted(maps.Keys(z)) {
				e.ZSet = append(e.ZSet, zmember{Member: mem, Score: score(z[mem])})
			}
		default:
			if skipped == nil {
				skipped = map[string]int{}
			}
			skipped[e.Type]++
			continue
		}
		if err != nil {
			// Cannot happen under the write lock; skipping the key is the safe answer.
			continue
		}
		if ttl := m.TTL(k); ttl > 0 {
			t := now.Add(ttl).UTC()
			e.Expires = &t
		}
		snap.Keys = append(snap.Keys, encodeEntry(e))
	}
	return snap, skipped
}

// encodeEntry base64-encodes every string of e if any of them is not valid UTF-8.
func encodeEntry(e entry) entry {
	if entryUTF8(e) {
		return e
	}
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	out := mapStrings(e, enc)
	out.Encoding = "base64"
	return out
}

// mapStrings returns a copy of e with f applied to its key and every stored string;
// encoding and decoding are the same walk in opposite directions.
func mapStrings(e entry, f func(string) string) entry {
	out := entry{Key: f(e.Key), Type: e.Type, Expires: e.Expires}
	if e.String != nil {
		v := f(*e.String)
		out.String = &v
	}
	if e.Hash != nil {
		out.Hash = make(map[string]string, len(e.Hash))
		for k, v := range e.Hash {
			out.Hash[f(k)] = f(v)
		}
	}
	if e.HashExpires != nil {
		out.HashExpires = make(map[string]time.Time, len(e.HashExpires))
		for k, t := range e.HashExpires {
			out.HashExpires[f(k)] = t
		}
	}
	for _, v := range e.List {
		out.List = append(out.List, f(v))
	}
	for _, v := range e.Set {
		out.Set = append(out.Set, f(v))
	}
	for _, z := range e.ZSet {
		out.ZSet = append(out.ZSet, zmember{Member: f(z.Member), Score: z.Score})
	}
	return out
}

func entryUTF8(e entry) bool {
	ok := utf8.ValidString
	if !ok(e.Key) || (e.String != nil && !ok(*e.String)) {
		return false
	}
	for f, v := range e.Hash {
		if !ok(f) || !ok(v) {
			return false
		}
	}
	for _, l := range [][]string{e.List, e.Set} {
		for _, v := range l {
			if !ok(v) {
				return false
			}
		}
	}
	for _, z := range e.ZSet {
		if !ok(z.Member) {
			return false
		}
	}
	return true
}

// decodeEntry undoes encodeEntry.
func decodeEntry(e entry) (entry, error) {
	switch e.Encoding {
	case "":
		return e, nil
	case "base64":
	default:
		return e, fmt.Errorf("unknown encoding %q", e.Encoding)
	}
	var err error
	dec := func(s string) string {
		b, derr := base64.StdEncoding.DecodeString(s)
		if derr != nil && err == nil {
			err = fmt.Errorf("bad base64: %w", derr)
		}
		return string(b)
	}
	out := mapStrings(e, dec)
	return out, err
}

// restore loads snap into m, which is not serving yet. Keys whose deadline is not
// after now are dropped; the others get the remaining TTL. It returns the number of
// keys loaded.
func restore(m *miniredis.Miniredis, snap *snapshot, now time.Time) (int, error) {
	if snap == nil {
		return 0, nil
	}
	n := 0
	for i, raw := range snap.Keys {
		e, err := decodeEntry(raw)
		if err != nil {
			return n, fmt.Errorf("key #%d: %w", i+1, err)
		}
		if e.Expires != nil && !e.Expires.After(now) {
			continue
		}
		loaded, err := restoreEntry(m, e, now)
		if err != nil {
			return n, fmt.Errorf("key #%d: %w", i+1, err)
		}
		if !loaded {
			continue
		}
		if e.Expires != nil {
			m.SetTTL(e.Key, e.Expires.Sub(now))
		}
		n++
	}
	return n, nil
}

// restoreEntry loads one key; loaded is false when nothing of it is left to load.
func restoreEntry(m *miniredis.Miniredis, e entry, now time.Time) (loaded bool, err error) {
	if m.Exists(e.Key) {
		return false, errors.New("duplicate key")
	}
	switch e.Type {
	case "string":
		if e.String == nil {
			return false, errors.New("string without value")
		}
		return true, m.Set(e.Key, *e.String)
	case "hash":
		if len(e.Hash) == 0 {
			return false, errors.New("empty hash")
		}
		fv := make([]string, 0, 2*len(e.Hash))
		live := 0
		for f, v := range e.Hash {
			if t, ok := e.HashExpires[f]; ok && !t.After(now) {
				continue
			}
			fv = append(fv, f, v)
			live++
		}
		if live == 0 {
			// Every field expired while Kring was down, and so did the hash.
			return false, nil
		}
		m.HSet(e.Key, fv...)
		for f, t := range e.HashExpires {
			if t.After(now) {
				if _, ok := e.Hash[f]; ok {
					m.HExpire(e.Key, f, t.Sub(now))
				}
			}
		}
		return true, nil
	case "list":
		if len(e.List) == 0 {
			return false, errors.New("empty list")
		}
		_, err := m.Push(e.Key, e.List...)
		return err == nil, err
	case "set":
		if len(e.Set) == 0 {
			return false, errors.New("empty set")
		}
		_, err := m.SetAdd(e.Key, e.Set...)
		return err == nil, err
	case "zset":
		if len(e.ZSet) == 0 {
			return false, errors.New("empty sorted set")
		}
		for _, z := range e.ZSet {
			if math.IsNaN(float64(z.Score)) {
				return false, errors.New("score is not a number")
			}
			if _, err := m.ZAdd(e.Key, float64(z.Score), z.Member); err != nil {
				return false, err
			}
		}
		return true, nil
	default:
		return false, fmt.Errorf("unknown type %q", e.Type)
	}
}

// readSnapshot reads the data file; a missing file is an empty store (nil).
func readSnapshot(path string) (*snapshot, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("embedded store: read %s: %w", path, err)
	}
	corrupt := func(why error) error { return corruptError(path, why) }
	var snap snapshot
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&snap); err != nil {
		return nil, corrupt(err)
	}
	if dec.More() {
		return nil, corrupt(errors.New("trailing data after the snapshot"))
	}
	if snap.Version != formatVersion {
		return nil, corrupt(fmt.Errorf("format version %d, this Kring reads version %d", snap.Version, formatVersion))
	}
	return &snap, nil
}

// corruptError tells what is wrong with the data file and what to do: Kring never
// silently starts empty over a file it cannot read.
func corruptError(path string, why error) error {
	return fmt.Errorf("embedded store: %s is not a readable Kring data file (%w); "+
		"move it away to start with an empty store, or restore a backup", path, why)
}

// writeSnapshot writes snap to path atomically: a temporary file in the same
// directory, fsync, rename, fsync of the directory. The file is 0600.
func writeSnapshot(path string, snap snapshot) error {
	var buf bytes.Buffer
	if err := encodeSnapshot(&buf, snap); err != nil {
		return fmt.Errorf("embedded store: encode snapshot: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("embedded store: write snapshot: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("embedded store: write snapshot %s: %w", path, err)
	}
	// CreateTemp already uses 0600; say so explicitly, the file holds minors' data.
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("embedded store: write snapshot %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("embedded store: write snapshot %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable. Best effort: not every platform can fsync
// a directory, and the rename itself has already happened.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}

// encodeSnapshot writes snap as JSON with one key per line, so the file can be read
// and diffed by a person.
func encodeSnapshot(buf *bytes.Buffer, snap snapshot) error {
	saved, err := json.Marshal(snap.Saved)
	if err != nil {
		return err
	}
	fmt.Fprintf(buf, "{\"version\":%d,\"saved\":%s,\"keys\":[", snap.Version, saved)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	for i, e := range snap.Keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		if err := enc.Encode(e); err != nil {
			return err
		}
		// Encode ends each value with a newline; the separator adds its own.
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteString("\n]}\n")
	return nil
}

package record

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Shape says how a kind's records are kept in Redis.
type Shape string

// The record shapes.
const (
	// Document records are one JSON document per record (a check-in, a help request),
	// written whole by the step that makes them, optionally listed in an index.
	Document Shape = "document"
	// SharedRecord records are hashes many people's steps read and write at once (a
	// prompt and its answers, a debate and its votes). They carry a version that a
	// step's whole-record writes bump and check; per-member fields, counters and set
	// membership are written without touching the version, so they never conflict.
	SharedRecord Shape = "shared"
)

// IndexUnit is what an index's scores count, so the engine can prune entries older than
// the retention period.
type IndexUnit string

// The index units.
const (
	// Days scores are day numbers since 1970-01-01.
	Days IndexUnit = "days"
	// Millis scores are Unix milliseconds.
	Millis IndexUnit = "ms"
)

// Kind declares one kind of record once: where it lives, whose it is, how long it is
// kept and who may read it. The store keys, expires and indexes every record from this
// declaration; privacy tooling (export, erase, audit of staff reads) walks the same list.
type Kind struct {
	// Name is the kind's id, used in dialog effects ("checkin", "help", "poll").
	Name string
	// Key is the key pattern under the school's prefix, with {owner} and {id}
	// placeholders, e.g. "ci:{owner}:{id}" or "poll:{id}".
	Key   string
	Shape Shape
	// Index, if set, is a sorted-set key pattern ({owner} or {group}) listing the
	// records, scored in IndexUnit; entries older than the retention are pruned on write.
	Index     string
	IndexUnit IndexUnit
	// Retention overrides the school's retention (0: the school's).
	Retention time.Duration
	// Owners says whose data a record is, for export and erase: "owner" (the one
	// person in {owner}), "members" (each person with a member field in a shared
	// record), or "none" (class material without a person's words).
	Owners string
	// PupilWords marks records that hold what pupils wrote: staff reads are audited.
	PupilWords bool
	// Readers are the roles (besides the owner) that may read a record of this kind,
	// subject to class policy; documentation for privacy tooling and reviews.
	Readers []string
}

// The owner modes of Kind.Owners.
const (
	OwnedByOwner   = "owner"
	OwnedByMembers = "members"
	OwnedByNone    = "none"
)

// KeyFor fills the kind's key pattern.
func (k Kind) KeyFor(owner, id string) string {
	return strings.NewReplacer("{owner}", owner, "{id}", id).Replace(k.Key)
}

// IndexFor fills the kind's index pattern for owner or group ("" when it has none).
func (k Kind) IndexFor(owner, group string) string {
	if k.Index == "" {
		return ""
	}
	return strings.NewReplacer("{owner}", owner, "{group}", group).Replace(k.Index)
}

// Validate checks a declaration.
func (k Kind) Validate() error {
	switch {
	case k.Name == "" || strings.ContainsAny(k.Name, ": {}"):
		return fmt.Errorf("record kind %q: name must be a plain word", k.Name)
	case !strings.Contains(k.Key, "{id}"):
		return fmt.Errorf("record kind %s: key pattern %q lacks {id}", k.Name, k.Key)
	case k.Shape != Document && k.Shape != SharedRecord:
		return fmt.Errorf("record kind %s: unknown shape %q", k.Name, k.Shape)
	case k.Shape == SharedRecord && strings.Contains(k.Key, "{owner}"):
		return fmt.Errorf("record kind %s: shared records are not per owner", k.Name)
	case k.Index != "" && k.IndexUnit != Days && k.IndexUnit != Millis:
		return fmt.Errorf("record kind %s: index needs a unit (days or ms)", k.Name)
	}
	switch k.Owners {
	case OwnedByOwner, OwnedByMembers, OwnedByNone:
	default:
		return fmt.Errorf("record kind %s: owners must be owner, members or none, not %q", k.Name, k.Owners)
	}
	return nil
}

// Kinds is a set of declared record kinds.
type Kinds struct {
	byName map[string]Kind
}

// NewKinds returns the built-in kinds (check-ins, help requests) plus extra.
func NewKinds(extra ...Kind) (*Kinds, error) {
	ks := &Kinds{byName: map[string]Kind{}}
	for _, k := range append(Builtin(), extra...) {
		if err := ks.Add(k); err != nil {
			return nil, err
		}
	}
	return ks, nil
}

// Add declares one more kind.
func (ks *Kinds) Add(k Kind) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if _, dup := ks.byName[k.Name]; dup {
		return fmt.Errorf("record kind %s declared twice", k.Name)
	}
	ks.byName[k.Name] = k
	return nil
}

// Get returns the kind called name.
func (ks *Kinds) Get(name string) (Kind, bool) {
	k, ok := ks.byName[name]
	return k, ok
}

// All lists every kind, by name.
func (ks *Kinds) All() []Kind {
	out := make([]Kind, 0, len(ks.byName))
	for _, k := range ks.byName {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// The built-in kind names.
const (
	KindCheckIn = "checkin"
	KindHelp    = "help"
)

// Builtin are the kinds the core itself writes.
func Builtin() []Kind {
	return []Kind{
		{Name: KindCheckIn, Key: "ci:{owner}:{id}", Shape: Document, Index: "cix:{owner}", IndexUnit: Days,
			Owners: OwnedByOwner, PupilWords: true, Readers: []string{"mentor", "care", "teacher (class policy)"}},
		{Name: KindHelp, Key: "h:{id}", Shape: Document, Index: "hq:{group}", IndexUnit: Millis,
			Owners: OwnedByOwner, PupilWords: true, Readers: []string{"mentor", "care"}},
	}
}

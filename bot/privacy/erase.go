package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/record"
)

// Bundle is one person's export: everything Kring's store holds about them, and only
// their part of what they share with others.
type Bundle struct {
	Person   string    `json:"person"`
	School   string    `json:"school"`
	Exported time.Time `json:"exported"`
	// Profile is their profile hash: conversation state, current goal, level, counters.
	Profile map[string]string `json:"profile,omitempty"`
	// Language is the language they chose themselves.
	Language string `json:"language,omitempty"`
	// Records are their own records (check-ins, help requests, nods, relayed messages,
	// mentor notes, their copies of questions ...), each as stored.
	Records []Doc `json:"records"`
	// Shared are their parts of records shared with others (class discussions,
	// debates, polls, the class's questions and word list, alerts about them).
	Shared []Share `json:"shared"`
	// Accounts are the chat accounts linked to them at runtime.
	Accounts map[string]string `json:"accounts,omitempty"`
	// Timers are what Kring will do for them later (a message on its way, a re-send).
	Timers []Timer `json:"timers,omitempty"`
	// Queued are messages to them not delivered yet.
	Queued []json.RawMessage `json:"queuedMessages,omitempty"`
	// Audit are the audit log entries naming them.
	Audit []record.Audit `json:"audit"`
	// Counts summarise the above.
	Counts []ExportCount `json:"counts"`
}

// ExportCount is one line of Bundle.Counts.
type ExportCount struct {
	What string `json:"what"`
	N    int    `json:"n"`
	Unit string `json:"unit"`
}

// Bundle renders what was found as an export.
func (f *Found) Bundle(school string, now time.Time) Bundle {
	b := Bundle{Person: f.Person, School: school, Exported: now.UTC(), Profile: f.Profile, Language: f.Language,
		Records: f.Docs, Shared: f.Shares, Timers: f.Timers, Queued: f.ToThem}
	if b.Records == nil {
		b.Records = []Doc{}
	}
	if b.Shared == nil {
		b.Shared = []Share{}
	}
	if len(f.Accounts) > 0 {
		b.Accounts = f.Accounts
	}
	b.Audit = make([]record.Audit, len(f.Audit))
	for i, a := range f.Audit {
		b.Audit[i] = a.Audit
	}
	sort.SliceStable(b.Audit, func(i, j int) bool { return b.Audit[i].Time.Before(b.Audit[j].Time) })
	for _, c := range f.Counts() {
		b.Counts = append(b.Counts, ExportCount(c))
	}
	b.Counts = append(b.Counts, ExportCount{What: "audit entries", N: len(f.Audit), Unit: "entries"})
	return b
}

// EraseOptions choose what erasing also removes.
type EraseOptions struct {
	// Audit also removes the audit entries in which the person is the actor or the
	// only subject. Entries that list them among others are kept either way.
	Audit bool
}

// Erased says what an erasure removed: whole keys, hash fields, sorted-set entries
// (index, outbox and timer entries) and audit entries.
type Erased struct {
	Keys, Fields, Entries, AuditEntries int
}

// Erase deletes what Find found, in one MULTI/EXEC: whole keys that are only theirs,
// their fields of shared records (a record about them alone goes whole), their index
// entries, timers, queued messages, language and account fields, and with opts.Audit
// the audit entries that are about them alone. Shared records whose whole-record fields
// change get their version bumped, so a step that read them first is retried.
func (p *Privacy) Erase(ctx context.Context, f *Found, opts EraseOptions) (Erased, error) {
	var e Erased
	pipe := p.st.Client().TxPipeline()
	var dels []string
	for _, keys := range f.wholeKeys {
		dels = append(dels, keys...)
	}
	for _, d := range f.Docs {
		dels = append(dels, d.Key)
	}
	for _, t := range f.Timers {
		dels = append(dels, "tb:"+t.ID)
	}
	for _, id := range f.outbox {
		dels = append(dels, "om:"+id)
	}
	for _, s := range f.Shares {
		if s.Whole {
			dels = append(dels, s.Key)
			continue
		}
		key := p.st.Key(s.Key)
		var hdel []string
		set := map[string]any{}
		whole := false
		for _, fl := range s.hashFields {
			whole = whole || strings.HasPrefix(fl, "f:")
			if nv, ok := s.rewrite[fl]; ok && nv != "" {
				set[fl] = nv
				continue
			}
			hdel = append(hdel, fl)
		}
		if len(hdel) > 0 {
			pipe.HDel(ctx, key, hdel...)
		}
		if len(set) > 0 {
			pipe.HSet(ctx, key, set)
		}
		if whole {
			pipe.HIncrBy(ctx, key, "v", 1)
		}
		e.Fields += len(s.hashFields)
	}
	sort.Strings(dels)
	for start := 0; start < len(dels); start += batch {
		end := min(start+batch, len(dels))
		full := make([]string, end-start)
		for i, k := range dels[start:end] {
			full[i] = p.st.Key(k)
		}
		pipe.Del(ctx, full...)
	}
	e.Keys = len(dels)
	for ix, members := range f.zrem {
		m := make([]any, len(members))
		for i, x := range members {
			m[i] = x
		}
		pipe.ZRem(ctx, p.st.Key(ix), m...)
		e.Entries += len(members)
	}
	if f.Language != "" {
		pipe.HDel(ctx, p.st.Key("lang"), f.Person)
		e.Fields++
	}
	if len(f.Accounts) > 0 {
		fields := make([]string, 0, len(f.Accounts))
		for k := range f.Accounts {
			fields = append(fields, k)
		}
		pipe.HDel(ctx, p.st.Key("links"), fields...)
		e.Fields += len(fields)
	}
	if opts.Audit {
		for _, a := range f.Audit {
			if a.Sole {
				pipe.LRem(ctx, p.st.Key(a.key), 0, a.raw)
				e.AuditEntries++
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return Erased{}, fmt.Errorf("erase %s: %w", f.Person, err)
	}
	return e, nil
}

// Audit records an export or erasure of person's data by actor: action
// ("privacy-export", "privacy-erase") and the counts, never the data.
func (p *Privacy) Audit(ctx context.Context, actor, action string, f *Found, now time.Time) error {
	doc, err := json.Marshal(record.Audit{Time: now, Actor: actor, Action: action, Subject: f.Person, Detail: f.Summary()})
	if err != nil {
		return fmt.Errorf("audit %s of %s: %w", action, f.Person, err)
	}
	if err := p.st.AppendAudit(ctx, now, string(doc)); err != nil {
		return fmt.Errorf("audit %s of %s: %w", action, f.Person, err)
	}
	return nil
}

package bot

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/dialog"
)

// A shared record is one Redis hash. Its fields are prefixed by what they are, so one
// HGETALL reads a whole record and the commit can tell conflicting writes from
// independent ones:
//
//	v              version, bumped by whole-record writes (SetShared)
//	f:NAME         whole-record field
//	m:PERSON       one member's value (an answer, a vote)
//	n:NAME         counter
//	s:SET:ITEM     set membership
const (
	fieldPrefix  = "f:"
	memberPrefix = "m:"
	countPrefix  = "n:"
	setPrefix    = "s:"
)

// decodeShared turns a record's hash into what a dialog sees.
func decodeShared(r dialog.Ref, h map[string]string) dialog.Shared {
	s := dialog.Shared{Ref: r, Exists: len(h) > 0, Version: h["v"],
		Fields: map[string]string{}, Members: map[string]string{}, Counts: map[string]int64{}, Sets: map[string][]string{}}
	for k, v := range h {
		switch {
		case strings.HasPrefix(k, fieldPrefix):
			s.Fields[k[len(fieldPrefix):]] = v
		case strings.HasPrefix(k, memberPrefix):
			s.Members[k[len(memberPrefix):]] = v
		case strings.HasPrefix(k, countPrefix):
			n, _ := strconv.ParseInt(v, 10, 64)
			s.Counts[k[len(countPrefix):]] = n
		case strings.HasPrefix(k, setPrefix):
			set, item, ok := strings.Cut(k[len(setPrefix):], ":")
			if ok {
				s.Sets[set] = append(s.Sets[set], item)
			}
		}
	}
	for _, items := range s.Sets {
		sort.Strings(items)
	}
	return s
}

// The person-hash fields of the conversation stack.
const (
	stackField = "stack"
	// focusField is the single listening dialog of earlier versions, read as a stack of one.
	focusField = "focus"
	// typedField is when the person last typed text that reached a conversation.
	typedField = "typed"
	// pendingField holds typed text waiting for the person to say which conversation it is for.
	pendingField = "pending"
)

// stackOf reads a person's open conversations, the one that asked last first.
func stackOf(person map[string]string) []dialog.Open {
	var st []dialog.Open
	if s := person[stackField]; s != "" {
		if err := json.Unmarshal([]byte(s), &st); err == nil {
			return st
		}
	}
	if f := person[focusField]; f != "" {
		return []dialog.Open{{Dialog: f}}
	}
	return nil
}

// AmbiguityWindow is how close together two conversations must have asked, with no
// typed answer since, for Kring to ask which one a typed text is for.
const AmbiguityWindow = 5 * time.Minute

// pickListener chooses the conversation typed text is for: the one that asked last,
// unless another asked within AmbiguityWindow of it and the person has typed nothing
// since either asked: then the candidates are returned for Kring to ask.
func pickListener(stack []dialog.Open, lastTyped time.Time) (top string, ask []dialog.Open) {
	if len(stack) == 0 {
		return "", nil
	}
	cands := []dialog.Open{stack[0]}
	for _, o := range stack[1:] {
		if o.Asked.IsZero() || !o.Asked.After(lastTyped) || stack[0].Asked.Sub(o.Asked) > AmbiguityWindow {
			break
		}
		cands = append(cands, o)
	}
	if len(cands) > 1 {
		return "", cands
	}
	return stack[0].Dialog, nil
}

// restack returns the stack after dialog d's step: d leaves it, and comes back on top
// when it listens; it keeps its place when it listens without having asked anything.
func restack(stack []dialog.Open, d string, res dialog.Result, asked bool, now time.Time) []dialog.Open {
	out := make([]dialog.Open, 0, len(stack)+1)
	pos := -1
	var prev dialog.Open
	for i, o := range stack {
		if o.Dialog == d {
			pos, prev = i, o
			continue
		}
		out = append(out, o)
	}
	if !res.Listen {
		return out
	}
	o := dialog.Open{Dialog: d, Topic: res.Topic, Asked: prev.Asked, Refs: res.ListenRefs}
	if o.Topic == "" {
		o.Topic = prev.Topic
	}
	if o.Refs == nil {
		o.Refs = prev.Refs
	}
	if asked || pos < 0 {
		o.Asked = now
		return append([]dialog.Open{o}, out...)
	}
	out = append(out, dialog.Open{})
	copy(out[pos+1:], out[pos:])
	out[pos] = o
	return out
}

// DecodeShared turns a shared record's hash into what a dialog sees, for tooling that
// reads records outside a step (export and erase in bot/privacy).
func DecodeShared(r dialog.Ref, h map[string]string) dialog.Shared { return decodeShared(r, h) }

// WholeField is the hash field of a shared record's whole-record field name.
func WholeField(name string) string { return fieldPrefix + name }

// MemberField is the hash field of person's value in a shared record.
func MemberField(person string) string { return memberPrefix + person }

// SetEntry splits a hash field of a shared record into set and item when it records set
// membership (ok false for every other field).
func SetEntry(field string) (set, item string, ok bool) {
	rest, found := strings.CutPrefix(field, setPrefix)
	if !found {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}

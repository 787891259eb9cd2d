package discord

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Component custom_ids (Discord allows 100 characters) carry what Kring needs to turn a
// click back into an Event, so most clicks need no lookup:
//
//	c|<n>|<action>|<value>  a choice button (n keeps ids unique within a message)
//	s|<n>                   a select menu; each option's value is "<action>|<value>"
//	h|<hash>                a choice too long to inline; "cid:<hash>" in the KV holds it
//	f|<hash>                a button that opens the form stored as "form:<hash>"
//	m|<hash>|<action>       a modal opened from f|<hash> (the action is left out when too long)
const (
	maxCustomID = 100
	sep         = "|"
)

// hashKey derives a short, stable key from a logical message id and a part name, so a
// retried delivery reuses the same custom_ids and cache entries.
func hashKey(msgID, part string) string {
	h := sha256.Sum256([]byte(msgID + "\x00" + part))
	return hex.EncodeToString(h[:10])
}

type idKind int

const (
	idUnknown idKind = iota
	idChoice
	idHashed
	idForm
	idModal
)

type customID struct {
	kind   idKind
	action string
	value  string
	hash   string
}

// parseCustomID reads a component custom_id (with the chosen values of a select menu).
func parseCustomID(id string, values []string) customID {
	kind, rest, _ := strings.Cut(id, sep)
	switch kind {
	case "c":
		parts := strings.SplitN(rest, sep, 3)
		if len(parts) == 3 {
			return customID{kind: idChoice, action: parts[1], value: parts[2]}
		}
	case "s":
		if len(values) == 1 {
			return parseOptionValue(values[0])
		}
	case "h":
		return customID{kind: idHashed, hash: rest}
	case "f":
		return customID{kind: idForm, hash: rest}
	case "m":
		hash, action, _ := strings.Cut(rest, sep)
		return customID{kind: idModal, hash: hash, action: action}
	}
	return customID{}
}

// parseOptionValue reads a select option's value: "<action>|<value>" or "h|<hash>".
func parseOptionValue(v string) customID {
	if h, ok := strings.CutPrefix(v, "h"+sep); ok {
		return customID{kind: idHashed, hash: h}
	}
	action, value, ok := strings.Cut(v, sep)
	if !ok {
		return customID{}
	}
	return customID{kind: idChoice, action: action, value: value}
}

// replyRef is what Kring needs to answer an interaction later: its token, whether it
// came from a DM, and when it arrived (the token lives 15 minutes).
type replyRef struct {
	at    time.Time
	dm    bool
	token string
}

const refPrefix = "dg1"

func encodeRef(at time.Time, dm bool, token string) string {
	where := "g"
	if dm {
		where = "d"
	}
	return fmt.Sprintf("%s%s%d%s%s%s%s", refPrefix, sep, at.UnixMilli(), sep, where, sep, token)
}

func parseRef(s string) (replyRef, bool) {
	parts := strings.SplitN(s, sep, 4)
	if len(parts) != 4 || parts[0] != refPrefix || parts[3] == "" {
		return replyRef{}, false
	}
	ms, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return replyRef{}, false
	}
	return replyRef{at: time.UnixMilli(ms), dm: parts[2] == "d", token: parts[3]}, true
}

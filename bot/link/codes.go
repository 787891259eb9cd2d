package link

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/redis/go-redis/v9"
)

// Alphabet holds the characters of a code: capitals and digits without look-alikes
// (no 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, 6/G, U/V).
const Alphabet = "ACEFHJKMNPRTWXY3479"

// CodeLen is the number of characters of a code (19^8 ≈ 1.7e10 codes), written in two
// groups of four: "ACEF-HJKM".
const CodeLen = 8

// NewCode draws a code from r (crypto/rand.Reader when nil).
func NewCode(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < CodeLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("draw a code: %w", err)
		}
		// Reject the top of the byte range so every character is equally likely.
		if int(buf[0]) >= 256-256%len(Alphabet) {
			continue
		}
		b.WriteByte(Alphabet[int(buf[0])%len(Alphabet)])
	}
	s := b.String()
	return s[:4] + "-" + s[4:], nil
}

// Normalize reads a code as a person may type it: any case, with or without the dash
// or spaces. It reports false for text that cannot be a code.
func Normalize(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !codeShape.MatchString(s) {
		return "", false
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
		case strings.ContainsRune(Alphabet, r):
			b.WriteRune(r)
		case r < 128 && (r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
			// A look-alike or a typo: still a code attempt, so it counts as a wrong one.
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	if b.Len() != CodeLen {
		return "", false
	}
	return b.String(), true
}

// codeShape is what a typed code looks like: four and four letters or digits, with
// or without a dash or space between.
var codeShape = regexp.MustCompile(`^[A-Za-z0-9]{4}[- ]?[A-Za-z0-9]{4}$`)

// hash is what is stored of a code.
func (l *Links) hash(code string) string {
	h := sha256.Sum256([]byte("kring-link-code\x00" + l.school.ID + "\x00" + code))
	return hex.EncodeToString(h[:])
}

// Issued is one person's new code.
type Issued struct {
	Person  *config.Person
	Code    string
	Expires time.Time
}

// KeepExpired is how long an expired code is remembered, to say "expired" rather
// than "wrong".
const KeepExpired = 30 * 24 * time.Hour

// Issue makes a new code for each person, valid until exp, revoking their earlier code
// (two round trips for any number of people). r is the randomness (nil: crypto/rand).
func (l *Links) Issue(ctx context.Context, people []*config.Person, exp time.Time, r io.Reader) ([]Issued, error) {
	now := l.clk.Now()
	ttl := exp.Sub(now)
	if ttl <= 0 {
		return nil, fmt.Errorf("a code must be valid for some time, not until %s", exp.Format(time.RFC3339))
	}
	rdb := l.st.Client()
	pipe := rdb.Pipeline()
	olds := make([]*redis.StringCmd, len(people))
	for i, p := range people {
		olds[i] = pipe.Get(ctx, l.st.Key("lcp:"+p.ID))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("read current codes: %w", err)
	}
	out := make([]Issued, 0, len(people))
	tx := rdb.TxPipeline()
	for i, p := range people {
		code, err := NewCode(r)
		if err != nil {
			return nil, err
		}
		h := l.hash(strings.ReplaceAll(code, "-", ""))
		if old := olds[i].Val(); old != "" {
			tx.Del(ctx, l.st.Key("lc:"+old))
		}
		k := l.st.Key("lc:" + h)
		tx.HSet(ctx, k, "person", p.ID, "exp", strconv.FormatInt(exp.UnixMilli(), 10))
		tx.PExpire(ctx, k, ttl+KeepExpired)
		tx.Set(ctx, l.st.Key("lcp:"+p.ID), h, ttl+KeepExpired)
		out = append(out, Issued{Person: p, Code: code, Expires: exp})
	}
	if _, err := tx.Exec(ctx); err != nil {
		return nil, fmt.Errorf("store codes: %w", err)
	}
	return out, nil
}

// Outcome is what redeeming a code did.
type Outcome string

// The outcomes of Redeem.
const (
	OK      Outcome = "ok"
	Wrong   Outcome = "wrong"
	Wait    Outcome = "wait"
	Used    Outcome = "used"
	Expired Outcome = "expired"
	Same    Outcome = "same"
	Taken   Outcome = "taken"
)

// Result is the outcome of Redeem with what the answer needs.
type Result struct {
	Outcome Outcome
	// Person is the code's person (all outcomes but Wrong and Wait).
	Person *config.Person
	// Owner is who the account belongs to (Taken).
	Owner string
	// Until is when the account may try again (Wrong after too many tries, Wait).
	Until time.Time
	// Tries is the number of wrong codes in the current window (Wrong, Wait).
	Tries int
}

//go:embed redeem.lua
var redeemLua string

var redeemScript = redis.NewScript(redeemLua)

// Redeem links the account (platform, user) with the person whose code it is: once,
// before the code expires, unless the account belongs to someone else. Wrong codes
// from one account are slowed down, then refused for a while, across processes.
func (l *Links) Redeem(ctx context.Context, platform chat.Platform, user, code string) (Result, error) {
	norm, _ := Normalize(code)
	owner := ""
	if p, ok := l.Person(platform, user); ok {
		owner = p.ID
	} else if p, ok := l.school.ByPlatform(string(platform), user); ok {
		// Someone who left still holds their account until staff unlink it.
		l.mu.RLock()
		_, overridden := l.byPerson[string(platform)+":"+p.ID]
		l.mu.RUnlock()
		if !overridden {
			owner = p.ID
		}
	}
	now := l.clk.Now()
	pol := l.policy
	keys := []string{l.st.Key("lc:" + l.hash(norm)), l.key(), l.st.Key("lf:" + string(platform) + ":" + user)}
	res, err := redeemScript.Run(ctx, l.st.Client(), keys, now.UnixMilli(), string(platform), user, owner,
		pol.Window.Milliseconds(), pol.SlowAfter, pol.BlockAfter, pol.Slow.Milliseconds(), pol.Block.Milliseconds()).StringSlice()
	if err != nil {
		return Result{}, fmt.Errorf("redeem a code: %w", err)
	}
	r := Result{Outcome: Outcome(res[0])}
	switch r.Outcome {
	case Wrong, Wait:
		ms, _ := strconv.ParseInt(res[1], 10, 64)
		if ms > 0 {
			r.Until = time.UnixMilli(ms)
		}
		r.Tries, _ = strconv.Atoi(res[2])
		return r, nil
	}
	p, ok := l.school.Person(res[1])
	if !ok {
		// The code's person is no longer on the roster at all.
		return Result{Outcome: Expired}, nil
	}
	r.Person = p
	switch r.Outcome {
	case Taken:
		r.Owner = res[2]
	case OK:
		l.set(platform, p.ID, user, "")
	}
	return r, nil
}

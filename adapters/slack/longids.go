package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
)

// Slack's limits on what a choice carries (Block Kit reference): an action_id of 255
// characters, a button value of 2000, a select option value of 150.
const (
	maxActionID    = 255
	maxButtonValue = 2000
	maxOptionValue = 150
)

// hashedAction is the action of a choice whose real action and value did not fit and
// wait in the KV under its value (the same fallback the Discord adapter has).
const hashedAction = "kring#h"

// kvChoice keeps such a choice: "ch:<hash>" -> action \x1f value.
const (
	kvChoice  = "ch:"
	choiceTTL = 30 * 24 * time.Hour
)

// fitChoices replaces every choice of m that Slack would refuse (too long an action
// id or value) by a short hashed one, keeping the original in the KV.
func (a *Adapter) fitChoices(ctx context.Context, m chat.Message) (chat.Message, error) {
	maxValue := maxButtonValue
	if len(m.Choices) > maxButtons {
		maxValue = maxOptionValue
	}
	var out []chat.Choice
	for i, c := range m.Choices {
		idLen := len(c.Action) + len(choiceSep) + len(strconv.Itoa(i)) + 2
		if idLen <= maxActionID && len(c.Value) <= maxValue && !strings.Contains(c.Action, choiceSep) {
			continue
		}
		if out == nil {
			out = append([]chat.Choice(nil), m.Choices...)
		}
		h := sha256.Sum256([]byte(m.ID + "\x00" + strconv.Itoa(i) + "\x00" + c.Action + "\x00" + c.Value))
		key := hex.EncodeToString(h[:12])
		if err := a.store().Set(ctx, kvChoice+key, c.Action+"\x1f"+c.Value, choiceTTL); err != nil {
			return m, &chat.RetryError{After: 5 * time.Second, Err: fmt.Errorf("cache long choice: %w", err)}
		}
		out[i].Action, out[i].Value = hashedAction, key
	}
	if out != nil {
		m.Choices = out
	}
	return m, nil
}

// unhash restores the action and value of a hashed choice; ok is false when it is no
// longer cached.
func (a *Adapter) unhash(ctx context.Context, ev *chat.Event) (ok bool) {
	if ev.Action != hashedAction {
		return true
	}
	v, found, err := a.store().Get(ctx, kvChoice+ev.Value)
	if err != nil || !found {
		return false
	}
	action, value, cut := strings.Cut(v, "\x1f")
	if !cut {
		return false
	}
	ev.Action, ev.Value = action, value
	return true
}

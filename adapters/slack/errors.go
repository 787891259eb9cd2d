package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/guard"
)

// Slack error codes that mean "try again later" rather than "this will never work".
var transientCodes = map[string]bool{
	"ratelimited": true, "internal_error": true, "fatal_error": true, "service_unavailable": true,
	"request_timeout": true, "team_added_to_org": true,
}

// Slack error codes that mean the person cannot be reached by the bot.
var unreachableCodes = map[string]bool{
	"user_not_found": true, "user_disabled": true, "cannot_dm_bot": true, "user_not_visible": true,
}

// Slack error codes that mean the bot token no longer works: every call would fail
// the same way until an operator puts a new token in place.
var authCodes = map[string]bool{
	"invalid_auth": true, "token_revoked": true, "token_expired": true, "account_inactive": true, "not_authed": true,
}

// fail turns a slack-go error from method into what the outbox understands: a
// *chat.RetryError for throttling and transient trouble (and the pacer holds the key
// back for Retry-After), chat.ErrUnreachable for people Slack won't let us reach,
// and a plain error for permanent failures.
func (a *Adapter) fail(method, channel string, err error) error {
	if err == nil {
		return nil
	}
	wrapped := fmt.Errorf("slack %s: %w", method, err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return wrapped
	}
	if rl, ok := errors.AsType[*slackgo.RateLimitedError](err); ok {
		after := max(rl.RetryAfter, time.Second)
		a.pace.pause(method, channel, after)
		return &chat.RetryError{After: after, Err: wrapped}
	}
	if sc, ok := errors.AsType[slackgo.StatusCodeError](err); ok {
		if sc.Code >= 500 || sc.Code == http.StatusRequestTimeout || sc.Code == http.StatusTooManyRequests {
			return &chat.RetryError{After: 2 * time.Second, Err: wrapped}
		}
		return wrapped
	}
	if se, ok := errors.AsType[slackgo.SlackErrorResponse](err); ok {
		switch {
		case se.Err == "ratelimited":
			a.pace.pause(method, channel, 5*time.Second)
			return &chat.RetryError{After: 5 * time.Second, Err: wrapped}
		case transientCodes[se.Err]:
			return &chat.RetryError{After: 5 * time.Second, Err: wrapped}
		case unreachableCodes[se.Err]:
			return fmt.Errorf("slack %s: %w: %w", method, chat.ErrUnreachable, err)
		case authCodes[se.Err]:
			// Stop sending (every message waits in the outbox) and tell the admins once.
			after := guard.UnauthorizedPause
			if g := a.opt.Guard; g != nil {
				after = g.Unauthorized(context.Background())
			}
			return &chat.PausedError{After: after, Reason: guard.ReasonUnauthorized,
				Err: fmt.Errorf("%w (Slack refused the bot token: reinstall the app or put a new SLACK_BOT_TOKEN in place and restart)", wrapped)}
		}
		return wrapped
	}
	if _, ok := errors.AsType[net.Error](err); ok || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &chat.RetryError{After: 2 * time.Second, Err: wrapped}
	}
	return wrapped
}

// slackCode returns the Slack error code of err ("channel_not_found"), or "".
func slackCode(err error) string {
	if se, ok := errors.AsType[slackgo.SlackErrorResponse](err); ok {
		return se.Err
	}
	return ""
}

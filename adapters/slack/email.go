package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kring-school/kring/bot/link"
	slackgo "github.com/slack-go/slack"
)

// EmailLookup returns a function that finds a Slack member id by e-mail address with
// users.lookupByEmail (scope users:read.email). An address no active member has is
// link.ErrNoAccount. The method is Slack's tier 3 (about 50 calls a minute): a 429 is
// waited out for its Retry-After, so a whole school takes minutes, not errors.
func EmailLookup(o Options) func(ctx context.Context, email string) (string, error) {
	opts := []slackgo.Option{}
	if o.APIURL != "" {
		opts = append(opts, slackgo.OptionAPIURL(o.APIURL))
	}
	if o.HTTPClient != nil {
		opts = append(opts, slackgo.OptionHTTPClient(o.HTTPClient))
	}
	api := slackgo.New(o.BotToken, opts...)
	return func(ctx context.Context, email string) (string, error) {
		for attempt := 0; ; attempt++ {
			u, err := api.GetUserByEmailContext(ctx, email)
			var rl *slackgo.RateLimitedError
			var se slackgo.SlackErrorResponse
			errors.As(err, &se)
			switch {
			case err == nil && (u.Deleted || u.IsBot):
				return "", link.ErrNoAccount
			case err == nil:
				return u.ID, nil
			case errors.As(err, &rl) && attempt < 10:
				select {
				case <-ctx.Done():
					return "", ctx.Err()
				case <-time.After(max(rl.RetryAfter, time.Second)):
				}
				continue
			case se.Err == "users_not_found" || se.Err == "user_not_found":
				return "", link.ErrNoAccount
			case se.Err == "missing_scope":
				return "", errors.New("the Slack app lacks the scope users:read.email: add it (see slack-app-manifest.yaml) and reinstall the app")
			}
			return "", fmt.Errorf("users.lookupByEmail: %w", err)
		}
	}
}

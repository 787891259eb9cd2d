package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// runSocket holds the Socket Mode connection (slack-go reconnects by itself when
// Slack asks or the link dies) and acknowledges every envelope at once; the work
// runs beside the ack, so Slack's 3 seconds are never at risk.
func (a *Adapter) runSocket(ctx context.Context) error {
	smc := socketmode.New(a.api, socketmode.OptionLog(log.New(slogWriter{a.log}, "", 0)))
	runErr := make(chan error, 1)
	go func() { runErr <- smc.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-runErr
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case evt := <-smc.Events:
			a.onSocketEvent(ctx, smc, evt)
		}
	}
}

func (a *Adapter) onSocketEvent(ctx context.Context, smc *socketmode.Client, evt socketmode.Event) {
	ack := func(payload ...any) {
		if evt.Request == nil {
			return
		}
		if err := smc.AckCtx(ctx, evt.Request.EnvelopeID, first(payload)); err != nil {
			a.log.Warn("socket mode ack failed", "envelope", evt.Request.EnvelopeID, "err", err)
		}
	}
	if evt.Request != nil && evt.Request.RetryAttempt > 0 {
		a.log.Info("slack redelivered an envelope", "type", evt.Type, "attempt", evt.Request.RetryAttempt, "reason", evt.Request.RetryReason)
	}
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.log.Debug("socket mode connecting")
	case socketmode.EventTypeConnected:
		a.connected.Store(true)
		a.log.Info("socket mode connected")
	case socketmode.EventTypeConnectionError:
		a.connected.Store(false)
		a.log.Warn("socket mode connection failed; slack-go retries", "err", errorOf(evt.Data))
	case socketmode.EventTypeInvalidAuth:
		a.connected.Store(false)
		a.log.Error("socket mode refused SLACK_APP_TOKEN (invalid auth)")
	case socketmode.EventTypeDisconnect:
		a.connected.Store(false)
		a.log.Info("slack asked to reconnect")
	case socketmode.EventTypeErrorBadMessage:
		// An envelope slack-go cannot parse (an event type we did not ask for): ack it
		// anyway, or Slack keeps re-sending it.
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var env struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(bad.Message, &env) == nil && env.EnvelopeID != "" {
				_ = smc.AckCtx(ctx, env.EnvelopeID, nil)
			}
			a.log.Debug("unparsed socket mode message acknowledged", "err", bad.Cause)
		}
	case socketmode.EventTypeEventsAPI:
		if e, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
			a.goWork(func(wctx context.Context) { a.onEventsAPI(wctx, e) })
		}
		ack()
	case socketmode.EventTypeSlashCommand:
		if c, ok := evt.Data.(slackgo.SlashCommand); ok {
			a.goWork(func(wctx context.Context) { a.onSlash(wctx, c) })
		}
		ack()
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slackgo.InteractionCallback)
		if !ok {
			ack()
			return
		}
		switch cb.Type {
		case slackgo.InteractionTypeViewSubmission:
			// The answer to a submission rides on the ack (errors keep the modal open).
			a.goWork(func(wctx context.Context) {
				if resp := a.onSubmit(wctx, cb); resp != nil {
					ack(resp)
				} else {
					ack()
				}
			})
		case slackgo.InteractionTypeBlockActions:
			a.goWork(func(wctx context.Context) { a.onBlockActions(wctx, cb) })
			ack()
		default:
			ack()
		}
	}
}

func first(xs []any) any {
	if len(xs) == 0 {
		return nil
	}
	return xs[0]
}

func errorOf(data any) error {
	if e, ok := data.(*slackgo.ConnectionErrorEvent); ok {
		return e.ErrorObj
	}
	return nil
}

// Package chat holds the platform-neutral vocabulary Kring speaks with its adapters:
// inbound Events, outbound Messages, the two contracts (Adapter: what the core asks of
// a platform; Engine: what an adapter may ask of the core), the commands adapters
// register and the capabilities an adapter declares. It depends only on the school
// configuration and the message catalogs, not on storage or dialogs, so every other
// package can import it.
package chat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kring-school/kring/bot/config"
)

// Platform names a chat platform an adapter connects to.
type Platform string

// The platforms Kring knows.
const (
	Discord Platform = "discord"
	Slack   Platform = "slack"
	Shell   Platform = "shell"
)

// EventKind says what a person did.
type EventKind string

// The kinds of inbound events.
const (
	// KindMessage is free text typed in a DM or channel.
	KindMessage EventKind = "message"
	// KindCommand is a slash command (Discord application command, Slack /kring sub-command, shell /cmd).
	KindCommand EventKind = "command"
	// KindButton is a pressed button or a chosen select-menu option.
	KindButton EventKind = "button"
	// KindForm is a submitted form (Discord modal, Slack view_submission).
	KindForm EventKind = "form"
)

// Event is one normalised inbound happening. Adapters fill it; the Engine consumes it.
type Event struct {
	// ID is the platform's own id for this delivery (interaction id, Slack event_id,
	// message id). The Engine uses it to drop platform retries; it must be stable
	// across re-deliveries of the same happening and unique otherwise.
	ID       string
	Platform Platform
	// Tenant is the Discord guild id or Slack team id ("" for DMs where the platform gives none).
	Tenant string
	// Channel is the platform channel id the event happened in.
	Channel string
	// Thread is the platform thread id, if the event happened in a thread.
	Thread string
	// ThreadKey is the logical thread key ("poll:42") of a thread Kring opened, when
	// the event happened in one: adapters map their platform thread back to the key
	// the dialog chose (chat.Target.Thread). Typed text there reaches that dialog.
	ThreadKey string
	// Mention is true for text in a class channel that mentioned Kring or replied to
	// one of its messages; other class-channel chatter never reaches the Engine.
	Mention bool
	// User is the platform user id of the person who acted.
	User string
	// DM is true when the event came from the person's direct conversation with the bot.
	DM   bool
	Kind EventKind
	// Text is the typed text (KindMessage).
	Text string
	// Command is the command name in its canonical (English) form, e.g. "checkin" (KindCommand).
	Command string
	// Args holds named command options where the platform gives them (Discord options).
	Args map[string]string
	// ArgText is the raw argument text where the platform gives no structure (Slack, shell);
	// the Engine parses it positionally against the command's declaration.
	ArgText string
	// Action is the action id of a pressed button or submitted form, e.g. "checkin.mood".
	Action string
	// Value is the pressed button's value or the chosen option.
	Value string
	// Fields are the submitted form's values by field id (KindForm).
	Fields map[string]string
	// ReplyRef is an opaque adapter handle that lets a reply answer this event in place
	// (a Discord interaction token, a Slack response_url). The Engine copies it onto
	// messages addressed back to the actor.
	ReplyRef string
	// Time is when the platform says the event happened.
	Time time.Time
}

// TargetKind says where a message goes.
type TargetKind string

// The kinds of message targets.
const (
	// ToPerson is a direct message to one roster person.
	ToPerson TargetKind = "person"
	// ToClass is the class channel.
	ToClass TargetKind = "class"
	// ToThread is a thread in the class channel, named by a logical key.
	ToThread TargetKind = "thread"
)

// Target names the recipient of a message in roster terms. The Engine resolves it when
// it queues the message, in the step's commit: it picks the platform (the actor's own
// for a reply, else the first connected platform that knows the person; every connected
// platform where the class has a channel for a class post, one outbox entry each) and
// puts that platform's ids in Delivery.Address. A logical thread key stays in Thread:
// the adapter maps it to its platform's thread when it delivers (creating the thread on
// first use), and maps its platform's thread back to the key for inbound messages
// (Event.ThreadKey).
type Target struct {
	Kind TargetKind `json:"kind"`
	// Person is the roster person id (ToPerson).
	Person string `json:"person,omitempty"`
	// Class is the roster class id (ToClass, ToThread).
	Class string `json:"class,omitempty"`
	// Thread is a logical thread key chosen by the dialog, e.g. "prompt:42" (ToThread);
	// its prefix names the dialog that gets what people type in the thread.
	Thread string `json:"thread,omitempty"`
	// ThreadTitle names the thread when the adapter has to create it.
	ThreadTitle string `json:"threadTitle,omitempty"`
}

// Choice is one option offered to a person: a button where the platform has them,
// a numbered line of text where it does not.
type Choice struct {
	// Action is the action id the resulting Event carries, e.g. "checkin.mood".
	Action string `json:"action"`
	// Value is the value the resulting Event carries, e.g. "4".
	Value string `json:"value"`
	// Label is the localised text on the button.
	Label string `json:"label"`
	// Style hints how prominent the button is: "", "primary" or "danger".
	Style string `json:"style,omitempty"`
}

// Form is a small set of free-text fields shown as a modal where the platform has them.
type Form struct {
	// Action is the action id the submitted KindForm Event carries.
	Action string `json:"action"`
	// Title is the localised modal title.
	Title string `json:"title"`
	// Open is the localised label of the button that opens the form.
	Open string `json:"open"`
	// Submit is the localised label of the submit button.
	Submit string  `json:"submit"`
	Fields []Field `json:"fields"`
}

// Field is one text input of a Form.
type Field struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Placeholder string `json:"placeholder,omitempty"`
	Multiline   bool   `json:"multiline,omitempty"`
	Required    bool   `json:"required,omitempty"`
	// MaxLen is the longest answer accepted (0: the Engine's limit).
	MaxLen int `json:"maxLen,omitempty"`
}

// Image is a PNG attached to a message (charts in mentor summaries).
type Image struct {
	Name string `json:"name"`
	PNG  []byte `json:"png"`
	// Alt is the localised description shown where images are not rendered.
	Alt string `json:"alt"`
}

// Message is one normalised outbound message. Dialogs produce them; the outbox
// delivers them through an adapter.
type Message struct {
	// ID is the logical message id, unique per message; the outbox never sends one ID twice.
	ID string `json:"id"`
	To Target `json:"to"`
	// Text is Kring markup (see Render): catalog text with *bold*, and person-written
	// text wrapped by Literal so adapters escape it.
	Text    string   `json:"text"`
	Choices []Choice `json:"choices,omitempty"`
	Form    *Form    `json:"form,omitempty"`
	Image   *Image   `json:"image,omitempty"`
	// Ephemeral asks for a message only the recipient sees, where it is posted in a shared place.
	Ephemeral bool `json:"ephemeral,omitempty"`
	// ReplyRef answers the event with this handle in place (interaction follow-up).
	ReplyRef string `json:"replyRef,omitempty"`
	// Mentions lists the roster person ids the message may ping; everything else is
	// sent with mentions disabled.
	Mentions []string `json:"mentions,omitempty"`
	// Staff marks a message that may hold a pupil's words for staff eyes only; adapters
	// must never post it in a class channel.
	Staff bool `json:"staff,omitempty"`
	// Home marks a home-page refresh for the ToPerson recipient instead of a message:
	// the data behind their page changed. An adapter with home pages (Capabilities.Home)
	// builds the page through Engine.Home when it delivers, so it shows the data as of
	// delivery; the Engine queues it for those adapters only, and others skip it.
	Home bool `json:"home,omitempty"`
	// NotBefore delays delivery until this time (zero: now), e.g. a post scheduled for the
	// start of a lesson. It waits in the outbox, so it survives restarts.
	NotBefore time.Time `json:"notBefore,omitzero"`
}

// Address is a Message's target resolved to platform ids by the Engine when it queued it.
type Address struct {
	Tenant string `json:"tenant,omitempty"`
	// User is the platform user id for a direct message.
	User string `json:"user,omitempty"`
	// Channel is the platform channel id (class channel, or a cached DM channel).
	Channel string `json:"channel,omitempty"`
	// Thread is the platform thread id, when known.
	Thread string `json:"thread,omitempty"`
}

// Delivery is what an adapter is asked to send: a message and where it goes.
type Delivery struct {
	Message Message `json:"message"`
	Address Address `json:"address"`
	// Attempt counts deliveries of this message, from 1.
	Attempt int `json:"attempt"`
}

// Capabilities declares what a platform can show. Dialogs and the Engine degrade
// gracefully where a capability is missing (numbered choices as text, say).
type Capabilities struct {
	Buttons   bool
	Forms     bool
	Threads   bool
	Files     bool
	Ephemeral bool
	// MaxButtons is the most buttons one message can hold (0: unlimited).
	MaxButtons int
	// MaxText is the longest message text the platform accepts (0: unlimited).
	MaxText int
	// Home says the platform shows a per-person home page (Slack's App Home), kept
	// current by Message.Home deliveries.
	Home bool
}

// Handler consumes normalised events. The Engine implements it. The returned messages
// are immediate replies to the actor (errors, "not enrolled"), which the adapter sends
// at once, as the answer to the interaction where it can; everything else a dialog
// says travels through the outbox.
type Handler interface {
	Handle(ctx context.Context, ev Event) []Message
}

// Engine is everything an adapter may ask of Kring's core; bot.Engine implements it,
// and Run hands it to every adapter. Adapters find nothing else on the core.
type Engine interface {
	Handler
	// Commands are the commands the dialogs declare, for the adapter to register.
	Commands() []Command
	// KV is the persistent cache for the adapter of platform p (its own key space).
	KV(p Platform) KV
	// Home builds the current home page of a roster person, for adapters that have
	// such a page: when a person opens it, and when a queued home message
	// (Message.Home) is delivered.
	Home(ctx context.Context, person string) (Home, error)
	// LocaleOf is the language of everything written to p: their own choice
	// (/language), else the school file's. Adapters use it for their own texts.
	LocaleOf(p *config.Person) string
}

// Accounts is what an Engine that knows runtime account links (link codes) offers
// besides Engine: adapters resolve users through it when their Engine has it, and
// through the school file's ids otherwise (tools, tests without links).
type Accounts interface {
	// PersonFor resolves a platform account to a roster person: links people made
	// themselves (/link CODE) over the ids in the school file; no Redis round trip.
	PersonFor(platform Platform, user string) (*config.Person, bool)
	// AccountOf is p's account on platform ("" when none).
	AccountOf(p *config.Person, platform Platform) string
}

// Adapter connects one platform.
type Adapter interface {
	Platform() Platform
	Capabilities() Capabilities
	// Run connects, feeds events to e, and blocks until ctx is done or the connection
	// fails for good.
	Run(ctx context.Context, e Engine) error
	// Send delivers one message. It returns a *RetryError for throttling and transient
	// failures, ErrUnreachable when the platform refuses to reach the person, and any
	// other error for a permanent failure.
	Send(ctx context.Context, d Delivery) error
}

// ErrUnreachable means the platform refused to deliver to this person (Discord 50007:
// the pupil does not accept DMs). The outbox records it and tells the mentor once.
var ErrUnreachable = errors.New("recipient cannot be reached on this platform")

// RetryError asks the outbox to try again after a pause (429 Retry-After, 5xx).
type RetryError struct {
	After time.Duration
	Err   error
}

// Error implements error.
func (e *RetryError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
}

// Unwrap returns the cause.
func (e *RetryError) Unwrap() error { return e.Err }

// KV is a small persistent cache adapters use for platform ids they must not look up
// again and again (DM channel ids, thread ids). The store implements it in Redis.
type KV interface {
	// Get returns the value and whether it was there.
	Get(ctx context.Context, key string) (string, bool, error)
	// Set stores value under key; ttl 0 keeps it until deleted.
	Set(ctx context.Context, key, value string, ttl time.Duration) error
}

// OnceKV is a KV that can also store a key only when it is absent, so several
// processes agree on who acts first (one reply to an event Slack delivered twice).
// The store's KV and MemKV implement it.
type OnceKV interface {
	KV
	SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error)
}

// Home is what a person's own page shows (Slack App Home): a pupil's goal and recent
// check-ins, a mentor's mentees at a glance. The Engine builds it (Engine.Home); adapters
// that have such a page declare Capabilities.Home and publish it when a Message.Home
// arrives through the outbox, or when the person opens the page.
type Home struct {
	Person string
	Name   string
	// Lang is the person's language, "nl" or "en".
	Lang string
	// Goal is the pupil's current goal and GoalDate the day it was set (YYYY-MM-DD).
	Goal     string
	GoalDate string
	// Recent are the pupil's latest check-ins, newest first.
	Recent []HomeCheckIn
	// Mentees are a mentor's pupils, in roster order.
	Mentees []HomeMentee
}

// HomeCheckIn is one check-in line on a pupil's home page.
type HomeCheckIn struct {
	Date   string
	Status string
	Mood   int
	Goal   string
}

// HomeMentee is one mentee line on a mentor's home page.
type HomeMentee struct {
	Person string
	Name   string
	// LastDate is the date of the last finished check-in ("" for none).
	LastDate string
	LastMood int
	// Trend is the mood direction over the last check-ins: -1 down, 0 flat, +1 up.
	Trend int
}

// PausedError means the platform refuses all sending for now (a Cloudflare ban of the
// IP, a revoked token): the outbox keeps every message for the platform, counts no
// attempt and buries nothing, and tries again after After.
type PausedError struct {
	After time.Duration
	// Reason is a short machine name: "banned", "unauthorized".
	Reason string
	Err    error
}

// Error implements error.
func (e *PausedError) Error() string {
	return fmt.Sprintf("platform paused (%s) for %s: %v", e.Reason, e.After, e.Err)
}

// Unwrap returns the cause.
func (e *PausedError) Unwrap() error { return e.Err }

package slack

import "time"

// Keys the adapter keeps in its chat.KV. The store adds its own prefix per platform.
const (
	// kvDM caches a user's DM channel id: conversations.open is a Tier 3 method, and a
	// morning fan-out must not open one DM per pupil per day.
	kvDM = "dm:"
	// kvForm holds a pending form by message id until its modal is submitted.
	kvForm = "form:"
	// kvThread maps a class's logical thread key to the ts of its parent message.
	kvThread = "thread:"
	// kvThreadKey maps a channel and parent ts back to the logical thread key, so a
	// reply in the thread reaches the dialog that opened it.
	kvThreadKey = "threadkey:"
	// kvSent marks the text part of a message with an image as posted, so a retry
	// after a failed upload does not post the text twice.
	kvSent = "sent:"
	// kvReplied marks an event whose immediate reply was sent, so Slack's retry of the
	// same event (same event_id) is not answered twice.
	kvReplied = "replied:"
)

const (
	dmTTL   = 90 * 24 * time.Hour
	formTTL = 14 * 24 * time.Hour
	sentTTL = 48 * time.Hour
	// repliedTTL covers Slack's retries: three, within about an hour and a half.
	repliedTTL = 2 * time.Hour
)

package discord

import (
	"net/url"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// Permissions are the server permissions Kring's bot asks for, and no more:
//
//   - View Channels: see the class channels it posts in.
//   - Send Messages: post class messages (a teacher's prompt, a day plan).
//   - Send Messages in Threads: post in discussion threads.
//   - Create Public Threads: open a thread per discussion.
//
// Direct messages, interaction replies, ephemeral messages, buttons and modals need no
// server permission, and check-ins (with their charts) go by DM, so Kring needs neither
// Attach Files nor Embed Links in the server, nor Read Message History, nor Mention
// Everyone (it never pings a whole channel), nor Create Private Threads (a pupil who
// blocks DMs is answered with ephemeral replies instead).
const Permissions int64 = discordgo.PermissionViewChannel |
	discordgo.PermissionSendMessages |
	discordgo.PermissionSendMessagesInThreads |
	discordgo.PermissionCreatePublicThreads

// Scopes are the OAuth2 scopes of the invite: the bot user, and application commands.
const Scopes = "bot applications.commands"

// InviteURL returns the OAuth2 URL that adds Kring's bot to a server with exactly the
// scopes and permissions it needs. appID is the Application ID from the Developer Portal.
func InviteURL(appID string) string {
	v := url.Values{}
	v.Set("client_id", appID)
	v.Set("scope", Scopes)
	v.Set("permissions", strconv.FormatInt(Permissions, 10))
	v.Set("integration_type", "0")
	return "https://discord.com/oauth2/authorize?" + v.Encode()
}

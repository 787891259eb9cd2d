package discord

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/chat"
)

// The gateway connection identifies with Kring's two non-privileged intents and the
// bot token, and the commands are registered in the configured guild with Dutch and
// English names and descriptions.
func TestConnectIdentifiesAndRegistersCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f, err := e.fake.WaitFrame(e.ctx, 0, fakediscord.ClientOp(fakediscord.OpIdentify))
	if err != nil {
		t.Fatal(err)
	}
	var id struct {
		Token   string `json:"token"`
		Intents int    `json:"intents"`
	}
	if err := json.Unmarshal(f.D, &id); err != nil {
		t.Fatal(err)
	}
	if want := int(discordgo.IntentsGuilds | discordgo.IntentsDirectMessages | discordgo.IntentsGuildMessages); id.Intents != want {
		t.Errorf("intents = %d, want GUILDS|DIRECT_MESSAGES|GUILD_MESSAGES = %d", id.Intents, want)
	}
	privileged := int(discordgo.IntentsGuildMembers | discordgo.IntentsGuildPresences | discordgo.IntentsMessageContent)
	if id.Intents&privileged != 0 {
		t.Errorf("identify asks for a privileged intent: %d", id.Intents)
	}
	if id.Token != "Bot "+e.fake.Token() {
		t.Errorf("identify token does not carry the bot prefix")
	}

	cmds := e.fake.Commands(guildID)
	byName := map[string]map[string]any{}
	for _, c := range cmds {
		byName[c["name"].(string)] = c
	}
	for _, want := range []string{"checkin", "away", "dayplan", "level", "help"} {
		c, ok := byName[want]
		if !ok {
			t.Errorf("command %s not registered; have %v", want, cmds)
			continue
		}
		names, _ := c["name_localizations"].(map[string]any)
		descs, _ := c["description_localizations"].(map[string]any)
		for _, loc := range []string{"nl", "en-US", "en-GB"} {
			if names[loc] == nil || descs[loc] == nil {
				t.Errorf("command %s: no %s name or description: %v %v", want, loc, names, descs)
			}
		}
	}
	if got := byName["checkin"]["name_localizations"].(map[string]any)["nl"]; got != "incheck" {
		t.Errorf("Dutch name of checkin = %v, want the catalog's incheck", got)
	}
	// Required options come first (Discord refuses otherwise) and types match the kinds.
	opts := byName["dayplan"]["options"].([]any)
	if first := opts[0].(map[string]any); first["name"] != "plan" || first["required"] != true {
		t.Errorf("dayplan's first option = %v, want the required plan", first)
	}
	lvl := byName["level"]["options"].([]any)
	if lvl[0].(map[string]any)["type"].(float64) != 6 {
		t.Errorf("level's pupil option is not a user option: %v", lvl[0])
	}
	if ch := lvl[1].(map[string]any)["choices"].([]any); len(ch) != 3 {
		t.Errorf("level's level option has %d choices, want 3", len(ch))
	} else if shared := ch[1].(map[string]any); shared["value"] != "shared" || shared["name_localizations"].(map[string]any)["nl"] != "gedeeld" {
		t.Errorf("level choice = %v, want value shared shown as gedeeld in Dutch", shared)
	}
	class := opts[1].(map[string]any)["choices"].([]any)
	if len(class) != 1 || class[0].(map[string]any)["value"] != "2b" {
		t.Errorf("dayplan's class choices = %v, want the school's classes", class)
	}

	// Registering again is a no-op: one bulk overwrite, same ids.
	before := map[string]any{}
	for _, c := range cmds {
		before[c["name"].(string)] = c["id"]
	}
	if err := e.a.RegisterCommands(e.ctx); err != nil {
		t.Fatal(err)
	}
	after := e.fake.Commands(guildID)
	if len(after) != len(cmds) {
		t.Errorf("second registration changed the command count: %d -> %d", len(cmds), len(after))
	}
	for _, c := range after {
		if before[c["name"].(string)] != c["id"] {
			t.Errorf("command %s changed id on re-registration", c["name"])
		}
	}
	if n := e.fake.Count(fakediscord.Route("PUT", "/applications/*/guilds/*/commands")); n != 2 {
		t.Errorf("%d bulk overwrites, want 2 (one per registration)", n)
	}
	if n := e.fake.Count(fakediscord.Route("POST", "/applications/**")); n != 0 {
		t.Errorf("commands created one by one (%d POSTs); registration must be one bulk PUT", n)
	}
}

// A dropped gateway connection is resumed with the session id and the last sequence
// number, and an interaction dispatched while the connection was down arrives once.
func TestDroppedConnectionResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ready, err := e.fake.WaitFrame(e.ctx, 0, fakediscord.ServerEvent("READY"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		SessionID string `json:"session_id"`
	}
	_ = json.Unmarshal(ready.D, &r)
	select {
	case <-e.a.ready: // onReady has run
	case <-e.ctx.Done():
		t.Fatal("READY never handled")
	}
	if !e.a.Connected() {
		t.Error("after READY, /healthz would report Discord as down")
	}
	e.fake.Drop()
	in, err := e.fake.SlashCommand(fakediscord.Actor{User: annaID}, classChan, "checkin")
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.fake.WaitFrame(e.ctx, 0, fakediscord.ClientOp(fakediscord.OpResume))
	if err != nil {
		t.Fatal(err)
	}
	var rs struct {
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	_ = json.Unmarshal(f.D, &rs)
	if rs.SessionID != r.SessionID {
		t.Errorf("resume session %q, want %q", rs.SessionID, r.SessionID)
	}
	if rs.Seq < 2 || rs.Seq >= in.Seq {
		t.Errorf("resume from seq %d; the client had seen up to GUILD_CREATE and not the interaction (seq %d)", rs.Seq, in.Seq)
	}
	ev := e.h.next(t, e.ctx)
	if ev.ID != in.ID || ev.Kind != chat.KindCommand || ev.Command != "checkin" {
		t.Errorf("event after resume = %+v", ev)
	}
	if _, err := e.fake.Wait(e.ctx, callbackFor(in)); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count(fakediscord.Route("POST", "/interactions/**")); n != 1 {
		t.Errorf("%d interaction callbacks, want 1", n)
	}
	identifies := 0
	for _, fr := range e.fake.Frames() {
		if fr.In && fr.Op == fakediscord.OpIdentify {
			identifies++
		}
	}
	if identifies != 1 {
		t.Errorf("%d identifies; a dropped connection must resume, not identify again", identifies)
	}
}

// Run returns when its context ends, after closing the gateway and after the events in
// progress have finished, replies included.
func TestShutdownFinishesEventsInProgress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gate := make(chan struct{})
	e.h.mu.Lock()
	e.h.gate = gate
	e.h.reply = func(ev chat.Event) []chat.Message {
		return []chat.Message{{To: person("anna"), Text: "bye", ReplyRef: ev.ReplyRef, Ephemeral: true}}
	}
	e.h.mu.Unlock()
	in, err := e.fake.SlashCommand(fakediscord.Actor{User: annaID}, classChan, "away")
	if err != nil {
		t.Fatal(err)
	}
	<-e.h.entered
	e.cancel()
	e.cancel = nil
	// Let the event finish only once shutdown has closed the gateway.
	if _, err := e.fake.WaitFrame(e.ctx, 0, fakediscord.ClientOp(fakediscord.OpClosed)); err != nil {
		t.Fatalf("the gateway connection was not closed: %v", err)
	}
	close(gate)
	if err := <-e.done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := e.fake.Count(webhookFor(in)); n != 1 {
		t.Errorf("Run returned before the event in progress had replied (%d replies)", n)
	}
}

func TestAdapterDeclaresDiscordCapabilities(t *testing.T) {
	e := prepareEnv(t)
	c := e.a.Capabilities()
	if !c.Buttons || !c.Forms || !c.Ephemeral || !c.Threads || !c.Files || c.MaxText != 2000 {
		t.Errorf("capabilities = %+v", c)
	}
	if e.a.Platform() != chat.Discord {
		t.Errorf("platform = %s", e.a.Platform())
	}
	if !strings.HasPrefix(InviteURL("1"), "https://discord.com/oauth2/authorize?") {
		t.Error("invite URL does not lead to Discord's OAuth2 page")
	}
}

// A wrong token ends Run at once with an error that says what to do.
func TestWrongTokenEndsRunWithAHint(t *testing.T) {
	t.Parallel()
	e := prepareEnv(t)
	o := e.a.o
	o.Token = "not-the-token"
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	err = a.Run(e.ctx, e.h)
	if err == nil || !strings.Contains(err.Error(), "DISCORD_TOKEN") {
		t.Errorf("Run with a wrong token = %v", err)
	}
}

// Discord asking the client to reconnect (opcode 7) leads to a resume of the same
// session, not a new identify.
func TestReconnectRequestResumesSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := e.fake.RequestReconnect(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.WaitFrame(e.ctx, 0, fakediscord.ClientOp(fakediscord.OpResume)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.WaitFrame(e.ctx, 0, fakediscord.ServerEvent("RESUMED")); err != nil {
		t.Fatal(err)
	}
	in, err := e.fake.SlashCommand(fakediscord.Actor{User: annaID}, classChan, "help")
	if err != nil {
		t.Fatal(err)
	}
	if ev := e.h.next(t, e.ctx); ev.ID != in.ID {
		t.Errorf("event after reconnect = %+v", ev)
	}
}

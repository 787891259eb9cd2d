package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
)

// hostile is what a pupil might type to reach the whole class or trick a reader.
const hostile = "<!channel> <!here|here> <!everyone> @here @channel @everyone <@U0MEES> <#C02B> " +
	"<https://evil.example|your grades> *bold* _italic_ ~gone~ `code` &amp; \u202egnp.exe\n> fake quote"

// pings finds anything Slack would turn into a mention or a link in mrkdwn.
var pings = regexp.MustCompile(`<[!@#]|<https?:|<mailto:|(^|[^\w])@(here|channel|everyone)\b`)

func TestPupilTextCannotPingOrFormat(t *testing.T) {
	h := newHTTPRig(t)
	ctx := h.ctx
	msg := chat.Message{ID: "alert1", To: chat.Target{Kind: chat.ToPerson, Person: "mees"}, Staff: true,
		Text: "*Anna* schreef: " + chat.Literal(hostile), Choices: []chat.Choice{{Action: "x.ack", Value: "1", Label: "Gezien"}}}
	if err := h.a.Send(ctx, chat.Delivery{Message: msg, Address: chat.Address{User: "U0MEES"}}); err != nil {
		t.Fatal(err)
	}
	// In place of an interaction too (response_url), and as an ephemeral in a channel.
	hook := h.fake.NewResponseURL("C02B", "U0ANNA")
	reply := chat.Message{ID: "r1", Text: "Onbekend: " + chat.Literal(hostile), ReplyRef: makeRef("C02B", hook)}
	if err := h.a.Send(ctx, chat.Delivery{Message: reply, Address: chat.Address{User: "U0ANNA"}}); err != nil {
		t.Fatal(err)
	}
	eph := chat.Message{ID: "e1", Text: chat.Literal(hostile), Ephemeral: true}
	if err := h.a.Send(ctx, chat.Delivery{Message: eph, Address: chat.Address{User: "U0ANNA", Channel: "C02B"}}); err != nil {
		t.Fatal(err)
	}
	all := h.fake.Messages("")
	if len(all) != 3 {
		t.Fatalf("%d messages, want 3", len(all))
	}
	for _, m := range all {
		seen := mrkdwnTexts(m)
		if loc := pings.FindStringIndex(seen); loc != nil {
			t.Errorf("%s: %q would ping or link: %q", m.Via, seen[loc[0]:min(loc[1]+10, len(seen))], seen)
		}
		for _, bad := range []string{"*bold*", "_italic_", "~gone~", "`code`", "\u202e", "\n&gt; fake", "\n> fake"} {
			if strings.Contains(seen, bad) {
				t.Errorf("%s: pupil markup %q survived: %q", m.Via, bad, seen)
			}
		}
		if !strings.Contains(seen, "&amp;lt;!channel&amp;gt;") && !strings.Contains(seen, "&lt;!channel&gt;") {
			t.Errorf("%s: the pupil's words are gone instead of shown escaped: %q", m.Via, seen)
		}
		if !strings.Contains(seen, "&amp;amp;") {
			t.Errorf("%s: a typed &amp; must stay readable as typed (&amp;amp;): %q", m.Via, seen)
		}
		if !strings.Contains(seen, "*Anna*") && m.Via == "chat.postMessage" {
			t.Errorf("catalog bold lost: %q", seen)
		}
		var blocks []map[string]any
		_ = json.Unmarshal(m.Blocks, &blocks)
		for _, b := range blocks {
			if tx, ok := b["text"].(map[string]any); ok && tx["type"] == "mrkdwn" && tx["verbatim"] != true {
				t.Errorf("%s: mrkdwn block without verbatim lets Slack parse names and links: %v", m.Via, tx)
			}
		}
	}
	post := h.fake.Calls("chat.postMessage")[0].Form
	if post.Get("parse") != "none" || post.Get("link_names") != "false" {
		t.Errorf("chat.postMessage parse=%q link_names=%q, want none/false", post.Get("parse"), post.Get("link_names"))
	}
	if !strings.HasPrefix(all[0].Channel, "D") {
		t.Errorf("a staff alert went to %s, not a DM", all[0].Channel)
	}
}

func TestOnlyNamedPeopleArePinged(t *testing.T) {
	h := newHTTPRig(t)
	m := chat.Message{ID: "mention", Text: "Nieuwe vraag van " + chat.Literal("<@U0EMMA>"), Mentions: []string{"mees", "bram"}}
	if err := h.a.Send(h.ctx, chat.Delivery{Message: m, Address: chat.Address{Channel: "C02B"}}); err != nil {
		t.Fatal(err)
	}
	got := h.lastMessage("C02B").Text
	if !strings.HasPrefix(got, "<@U0MEES> Nieuwe vraag") || strings.Count(got, "<@") != 1 {
		t.Fatalf("text %q: want exactly mees pinged (bram has no Slack id, emma was only typed)", got)
	}
}

func TestCommandsAreSpelledTheSlackWay(t *testing.T) {
	h := newHTTPRig(t)
	got := h.a.md("Typ /hulp of */incheck*; (/away) en /level. " + chat.Literal("/help") + " https://x.example/help /unknown")
	want := "Typ /kring hulp of */kring incheck*; (/kring away) en /kring level. /help https://x.example/help /unknown"
	if got != want {
		t.Fatalf("md =\n%q\nwant\n%q", got, want)
	}
}

func TestLongTextIsSplitIntoSections(t *testing.T) {
	h := newHTTPRig(t)
	line := strings.Repeat("x", 99) + "\n"
	r := h.a.render(chat.Message{ID: "long", Text: strings.Repeat(line, 50)}, "en")
	if len(r.blocks) != 2 {
		t.Fatalf("%d blocks for 5000 characters, want 2 sections", len(r.blocks))
	}
	for _, c := range splitText(strings.Repeat(line, 50), maxSectionText) {
		if len([]rune(c)) > maxSectionText || strings.HasPrefix(c, "\n") {
			t.Fatalf("section of %d runes starting %q", len([]rune(c)), c[:1])
		}
	}
}

func TestStaffWordsNeverInAClassChannel(t *testing.T) {
	h := newHTTPRig(t)
	staff := chat.Message{ID: "s1", Text: "Anna: " + chat.Literal("gepest"), Staff: true}
	err := h.a.Send(h.ctx, chat.Delivery{Message: staff, Address: chat.Address{Channel: "C02B"}})
	if err == nil || len(h.fake.Messages("C02B")) != 0 {
		t.Fatalf("staff message to a class channel: err %v, posted %d", err, len(h.fake.Messages("C02B")))
	}
	// Answering a mentor's command typed in the class channel: their DM, not an ephemeral there.
	staff.ID, staff.ReplyRef = "s2", makeRef("C02B", h.fake.NewResponseURL("C02B", "U0MEES"))
	if err := h.a.Send(h.ctx, chat.Delivery{Message: staff, Address: chat.Address{User: "U0MEES"}}); err != nil {
		t.Fatal(err)
	}
	if len(h.fake.Responses()) != 0 || len(h.fake.Messages(h.fake.DM("U0MEES"))) != 1 {
		t.Fatalf("responses %d, DMs %d: want the staff reply in the mentor's DM", len(h.fake.Responses()), len(h.fake.Messages(h.fake.DM("U0MEES"))))
	}
}

func TestDMChannelOpenedOnceAndCached(t *testing.T) {
	h := newHTTPRig(t)
	for i := 0; i < 3; i++ {
		m := chat.Message{ID: "dm" + string(rune('0'+i)), To: chat.Target{Kind: chat.ToPerson, Person: "anna"}, Text: "hoi"}
		if err := h.a.Send(h.ctx, chat.Delivery{Message: m, Address: chat.Address{User: "U0ANNA"}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.fake.Calls("conversations.open")); n != 1 {
		t.Fatalf("conversations.open called %d times for three DMs, want 1", n)
	}
	if v, ok, _ := h.a.store().Get(h.ctx, kvDM+"U0ANNA"); !ok || v != h.fake.DM("U0ANNA") {
		t.Fatalf("cache holds %q, want the DM channel", v)
	}
	// A second process (or tomorrow's morning) with the same cache opens nothing.
	b, err := New(Options{BotToken: botToken, AppToken: appToken, School: testSchool(t), Catalog: testCatalog(t),
		KV: h.a.store(), APIURL: h.fake.APIURL, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Send(h.ctx, chat.Delivery{Message: chat.Message{ID: "dm9", Text: "hoi"}, Address: chat.Address{User: "U0ANNA"}}); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.Calls("conversations.open")); n != 1 {
		t.Fatalf("conversations.open called again (%d) despite the shared cache", n)
	}
}

func TestRateLimitBecomesRetryAndPausesTheChannel(t *testing.T) {
	h := newHTTPRig(t)
	h.fake.Throttle("chat.postMessage", 1, 7*time.Second)
	m := chat.Message{ID: "rl1", Text: "x"}
	err := h.a.Send(h.ctx, chat.Delivery{Message: m, Address: chat.Address{Channel: "C02B"}})
	var re *chat.RetryError
	if !errors.As(err, &re) || re.After != 7*time.Second {
		t.Fatalf("Send after a 429 = %v, want *chat.RetryError after 7s", err)
	}
	// Another message to the same channel waits out the Retry-After instead of earning a 429.
	done := make(chan error, 1)
	go func() {
		done <- h.a.Send(h.ctx, chat.Delivery{Message: chat.Message{ID: "rl2", Text: "y"}, Address: chat.Address{Channel: "C02B"}})
	}()
	<-h.clk.Waiting()
	if n := len(h.fake.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("%d posts while the channel is paused, want only the refused one", n)
	}
	h.clk.Advance(7 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Other channels were never held back.
	if err := h.a.Send(h.ctx, chat.Delivery{Message: chat.Message{ID: "rl3", Text: "z"}, Address: chat.Address{Channel: "C03A"}}); err != nil {
		t.Fatal(err)
	}
}

func TestFailuresAreClassified(t *testing.T) {
	h := newRig(t, ModeHTTP, func(_ *Options, fo *fakeslack.Options) { fo.Channels = []string{"C02B"} })
	h.fake.Fail("chat.postMessage", 1, 503)
	err := h.a.Send(h.ctx, chat.Delivery{Message: chat.Message{ID: "f1", Text: "x"}, Address: chat.Address{Channel: "C02B"}})
	if _, ok := errors.AsType[*chat.RetryError](err); !ok {
		t.Fatalf("503: %v, want a RetryError", err)
	}
	err = h.a.Send(h.ctx, chat.Delivery{Message: chat.Message{ID: "f2", Text: "x"}, Address: chat.Address{Channel: "C0GONE"}})
	if err == nil || errors.Is(err, chat.ErrUnreachable) {
		t.Fatalf("unknown channel: %v, want a permanent error", err)
	}
	if _, ok := errors.AsType[*chat.RetryError](err); ok {
		t.Fatalf("unknown channel is not worth retrying: %v", err)
	}
}

func TestUnreachablePerson(t *testing.T) {
	r := newRig(t, ModeHTTP, func(_ *Options, fo *fakeslack.Options) { fo.Unreachable = map[string]string{"U0EMMA": "user_disabled"} })
	err := r.a.Send(r.ctx, chat.Delivery{Message: chat.Message{ID: "u1", Text: "x"}, Address: chat.Address{User: "U0EMMA"}})
	if !errors.Is(err, chat.ErrUnreachable) {
		t.Fatalf("Send to a deactivated user = %v, want chat.ErrUnreachable", err)
	}
}

func TestImageUploadedWithoutRepostingText(t *testing.T) {
	h := newHTTPRig(t)
	png := []byte("\x89PNG\r\n\x1a\nfake chart")
	m := chat.Message{ID: "chart1", To: chat.Target{Kind: chat.ToPerson, Person: "mees"}, Text: "Stemming van *Anna*",
		Image: &chat.Image{Name: "mood", PNG: png, Alt: "Stemming deze week"}}
	h.fake.Fail("files.completeUploadExternal", 1, 500)
	d := chat.Delivery{Message: m, Address: chat.Address{User: "U0MEES"}}
	if _, ok := errors.AsType[*chat.RetryError](h.a.Send(h.ctx, d)); !ok {
		t.Fatal("a failed upload must ask for a retry")
	}
	if err := h.a.Send(h.ctx, d); err != nil {
		t.Fatal(err)
	}
	dm := h.fake.DM("U0MEES")
	if n := len(h.fake.Messages(dm)); n != 1 {
		t.Fatalf("text posted %d times over the retry, want once", n)
	}
	files := h.fake.Files()
	if len(files) != 1 || files[0].Channel != dm || !bytes.Equal(files[0].Data, png) || files[0].Name != "mood.png" || files[0].AltText != "Stemming deze week" {
		t.Fatalf("files = %+v", files)
	}
}

func TestThreadParentPostedOnce(t *testing.T) {
	h := newHTTPRig(t)
	to := chat.Target{Kind: chat.ToThread, Class: "2b", Thread: "prompt:7", ThreadTitle: "Stelling: " + "@here <!channel>"}
	for i := 0; i < 2; i++ {
		m := chat.Message{ID: "th" + string(rune('0'+i)), To: to, Text: "Antwoord"}
		// The Engine's address carries the logical thread key, as the outbox gives it.
		if err := h.a.Send(h.ctx, chat.Delivery{Message: m, Address: chat.Address{Channel: "C02B", Thread: to.Thread}}); err != nil {
			t.Fatal(err)
		}
	}
	ms := h.fake.Messages("C02B")
	if len(ms) != 3 || ms[0].ThreadTS != "" || ms[1].ThreadTS != ms[0].TS || ms[2].ThreadTS != ms[0].TS {
		t.Fatalf("thread messages = %+v, want one parent and two replies under it", ms)
	}
	if pings.MatchString(visible(ms[0])) {
		t.Fatalf("thread title pings: %q", visible(ms[0]))
	}
}

// Several Kring processes share one bot: while another process holds the claim to post
// a thread's parent, this one posts nothing and tries again later; the claim's holder
// (here this process, retrying) posts exactly one parent.
func TestThreadParentClaimedByOneProcess(t *testing.T) {
	h := newHTTPRig(t)
	to := chat.Target{Kind: chat.ToThread, Class: "2b", Thread: "prompt:8", ThreadTitle: "Stelling"}
	claim := "threadclaim:2b:prompt:8"
	if err := h.a.store().Set(h.ctx, claim, "another-process", threadClaim); err != nil {
		t.Fatal(err)
	}
	d := chat.Delivery{Message: chat.Message{ID: "c1", To: to, Text: "Antwoord"}, Address: chat.Address{Channel: "C02B", Thread: to.Thread}}
	err := h.a.Send(h.ctx, d)
	var re *chat.RetryError
	if !errors.As(err, &re) || re.After <= 0 {
		t.Fatalf("send while another process posts the parent = %v, want a retry", err)
	}
	if ms := h.fake.Messages("C02B"); len(ms) != 0 {
		t.Fatalf("posted %+v while another process holds the thread", ms)
	}
	if err := h.a.store().Set(h.ctx, claim, h.a.owner, threadClaim); err != nil {
		t.Fatal(err)
	}
	if err := h.a.Send(h.ctx, d); err != nil {
		t.Fatal(err)
	}
	if ms := h.fake.Messages("C02B"); len(ms) != 2 || ms[1].ThreadTS != ms[0].TS {
		t.Fatalf("thread messages = %+v, want one parent and the reply", ms)
	}
}

func TestSpentResponseURLFallsBackToDM(t *testing.T) {
	h := newHTTPRig(t)
	dm := h.fake.DM("U0ANNA")
	hook := h.fake.NewResponseURL(dm, "U0ANNA")
	for i := 0; i < 6; i++ {
		m := chat.Message{ID: "sp" + string(rune('0'+i)), Text: "stap", ReplyRef: makeRef(dm, hook)}
		if err := h.a.Send(h.ctx, chat.Delivery{Message: m, Address: chat.Address{User: "U0ANNA"}}); err != nil {
			t.Fatal(err)
		}
	}
	if via := h.fake.Responses(); len(via) != 5 || via[0].Ephemeral {
		t.Fatalf("%d answers through the response_url, want 5 normal (in_channel) DM messages", len(via))
	}
	if n := len(h.fake.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("%d posted after the response_url was spent, want 1", n)
	}
}

func TestMentorHomePage(t *testing.T) {
	h := newHTTPRig(t)
	home := chat.Home{Person: "mees", Name: "Mees de Boer", Lang: "en", Mentees: []chat.HomeMentee{
		{Person: "anna", Name: "Anna de Vries", LastDate: "2026-11-23", LastMood: 2, Trend: -1},
		{Person: "emma", Name: "Emma *Smith*", LastDate: "2026-11-23", LastMood: 5, Trend: 1},
		{Person: "bram", Name: "Bram Jansen"},
	}}
	if err := h.a.PublishHome(h.ctx, home); err != nil {
		t.Fatal(err)
	}
	v, ok := h.fake.Home("U0MEES")
	if !ok {
		t.Fatal("no home published for the mentor")
	}
	page := visible(fakeslack.Message{Blocks: v.Blocks})
	for _, want := range []string{"*Your mentees*", "*Anna de Vries* · last check-in 2026-11-23   🙁 ↘ mood falling",
		"*Emma \u2217Smith\u2217* · last check-in 2026-11-23   😄 ↗ mood rising", "*Bram Jansen* · no check-in yet"} {
		if !strings.Contains(page, want) {
			t.Errorf("mentor home lacks %q:\n%s", want, page)
		}
	}
	// Someone without a Slack id is somebody else's platform: nothing to publish.
	if err := h.a.PublishHome(h.ctx, chat.Home{Person: "bram"}); err != nil || len(h.fake.Published()) != 1 {
		t.Fatalf("publish for bram: %v, %d published", err, len(h.fake.Published()))
	}
}

package slack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/kring-school/kring/bot/chat"
)

// Block Kit limits (docs.slack.dev, Block Kit reference).
const (
	maxSectionText  = 3000 // section text
	maxTextSections = 4    // Kring messages are short; four sections is 12,000 characters
	maxButtons      = 5    // more choices than this become a select menu
	maxOptions      = 100  // options in a static select
	maxLabel        = 75   // button and option text
	maxViewTitle    = 24   // modal title, submit and close
	maxInputLabel   = 2000
	maxPlaceholder  = 150
	maxInputLength  = 3000
	maxErrorText    = 150
	maxBlocks       = 50 // blocks in a message
	maxHomeBlocks   = 100
)

// Action and callback ids the adapter owns; dialog action ids never contain '#'.
const (
	formActionID   = "kring#form"
	formCallbackID = "kring#form"
	choiceSep      = "#"
)

// entityEscaper escapes the three characters Slack's text syntax reserves.
var entityEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// literalEscaper neutralises a person's text in mrkdwn: the reserved characters are
// escaped, so <!channel>, <@U…> and <http://…|…> cannot be formed; '@' is followed by
// a zero-width space, so @here, @channel, @everyone and @name are never parsed; and
// the mrkdwn markers are swapped for look-alikes, so nobody's words turn bold,
// italic, struck or code for the reader. Bidirectional overrides, which can make
// text read differently than it is, are dropped.
var literalEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"@", "@\u200b",
	"*", "\u2217", "_", "\u02cd", "~", "\u223c", "`", "\u02cb",
	"\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "",
	"\u2066", "", "\u2067", "", "\u2068", "", "\u2069", "",
)

// neutralise renders person-written text so it can only ever read as itself.
func neutralise(s string) string {
	s = literalEscaper.Replace(s)
	// A line starting with > is a quote in mrkdwn; a look-alike keeps it plain text.
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		t := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(t, "&gt;") {
			lines[i] = l[:len(l)-len(t)] + "\u203a" + strings.TrimPrefix(t, "&gt;")
		}
	}
	return strings.Join(lines, "\n")
}

// md turns Kring markup into Slack mrkdwn. Kring's *bold* is Slack's *bold*, so
// trusted text only needs its reserved characters escaped; literals are neutralised.
// Commands are spelled the Slack way: a Slack app has one slash command, so
// "/checkin" in a catalog text reads "/kring checkin" here (trusted text only).
func (a *Adapter) md(text string) string {
	var b strings.Builder
	for _, s := range chat.Segments(text) {
		if s.Literal {
			b.WriteString(neutralise(s.Text))
			continue
		}
		b.WriteString(entityEscaper.Replace(a.slackCommands(s.Text)))
	}
	return b.String()
}

// slackCommands rewrites "/NAME" (a known command name after a space, the start, or
// an opening mark) to "/kring NAME".
func (a *Adapter) slackCommands(s string) string {
	if !strings.Contains(s, "/") {
		return s
	}
	names := a.p().names
	var b strings.Builder
	for {
		j := strings.IndexByte(s, '/')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:j])
		k := j + 1
		for k < len(s) && isNameByte(s[k]) {
			k++
		}
		word := s[j+1 : k]
		prev, _ := utf8.DecodeLastRuneInString(s[:j])
		if word != "" && (j == 0 || strings.ContainsRune(" \t\n*_(\"'“‘[", prev)) {
			if _, ok := names[strings.ToLower(word)]; ok {
				b.WriteString(a.opt.Command + " " + word)
				s = s[k:]
				continue
			}
		}
		b.WriteByte('/')
		s = s[j+1:]
	}
}

func isNameByte(c byte) bool {
	return c >= 0x80 || c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// plain renders Kring markup for plain_text fields (labels, titles, field errors),
// which Slack never parses for mentions or formatting.
func plain(text string) string { return chat.Plain(text) }

// truncate shortens s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// splitText cuts s into pieces of at most n runes, at line breaks where it can.
func splitText(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		r := []rune(s)
		cut := n
		if i := strings.LastIndex(string(r[:n]), "\n"); i > 0 {
			cut = utf8.RuneCountInString(string(r[:n])[:i])
		}
		out = append(out, strings.TrimRight(string(r[:cut]), "\n"))
		s = strings.TrimLeft(string(r[cut:]), "\n")
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// blockID names a block of Kring message id: "k|ID|part". Long ids are hashed to fit
// Slack's 255 characters.
func blockID(msgID, part string) string {
	if len(msgID) > 180 {
		h := sha256.Sum256([]byte(msgID))
		msgID = hex.EncodeToString(h[:16])
	}
	return "k|" + msgID + "|" + part
}

func mrkdwnText(s string) *slackgo.TextBlockObject {
	// verbatim: Slack must not auto-link URLs or parse names in our text; explicit
	// <@U…> mentions the adapter itself writes still work.
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, true)
}

func plainText(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, s, true, false)
}

// rendered is a message ready for Slack: blocks, and the text Slack shows in
// notifications and where blocks cannot be shown.
type rendered struct {
	blocks []slackgo.Block
	text   string
}

func (r rendered) empty() bool { return len(r.blocks) == 0 }

// mentionPrefix resolves the roster people a message may ping to Slack mentions.
func (a *Adapter) mentionPrefix(ids []string) string {
	var parts []string
	for _, id := range ids {
		if p, ok := a.opt.School.Person(id); ok && a.slackID(p) != "" {
			parts = append(parts, "<@"+a.slackID(p)+">")
		}
	}
	return strings.Join(parts, " ")
}

// render builds the Block Kit message for m in lang.
func (a *Adapter) render(m chat.Message, lang string) rendered {
	loc := a.cat.For(lang)
	body := a.md(m.Text)
	if p := a.mentionPrefix(m.Mentions); p != "" {
		body = p + " " + body
	}
	var blocks []slackgo.Block
	chunks := splitText(body, maxSectionText)
	if len(chunks) > maxTextSections {
		chunks = chunks[:maxTextSections]
		chunks[maxTextSections-1] = truncate(chunks[maxTextSections-1], maxSectionText)
	}
	for i, c := range chunks {
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwnText(c), nil, nil,
			slackgo.SectionBlockOptionBlockID(blockID(m.ID, "t"+strconv.Itoa(i)))))
	}
	blocks = append(blocks, a.choiceBlocks(m, loc.T("slack.select.placeholder"))...)
	if m.Form != nil {
		label := m.Form.Open
		if label == "" {
			label = loc.T("slack.form.open")
		}
		btn := slackgo.NewButtonBlockElement(formActionID, m.ID, plainText(truncate(plain(label), maxLabel))).
			WithStyle(slackgo.StylePrimary)
		blocks = append(blocks, slackgo.NewActionBlock(blockID(m.ID, "f"), btn))
	}
	if len(blocks) > maxBlocks {
		blocks = blocks[:maxBlocks]
	}
	text := body
	if text == "" {
		var labels []string
		for _, c := range m.Choices {
			labels = append(labels, plain(c.Label))
		}
		if m.Form != nil {
			labels = append(labels, plain(m.Form.Title))
		}
		text = entityEscaper.Replace(strings.Join(labels, " · "))
	}
	return rendered{blocks: blocks, text: text}
}

// choiceBlocks renders choices: up to five as buttons (the mood scale is five),
// more as one static select per action.
func (a *Adapter) choiceBlocks(m chat.Message, placeholder string) []slackgo.Block {
	if len(m.Choices) == 0 {
		return nil
	}
	if len(m.Choices) <= maxButtons {
		var els []slackgo.BlockElement
		for i, c := range m.Choices {
			btn := slackgo.NewButtonBlockElement(c.Action+choiceSep+strconv.Itoa(i), c.Value,
				plainText(truncate(plain(c.Label), maxLabel)))
			switch c.Style {
			case "primary":
				btn = btn.WithStyle(slackgo.StylePrimary)
			case "danger":
				btn = btn.WithStyle(slackgo.StyleDanger)
			}
			els = append(els, btn)
		}
		return []slackgo.Block{slackgo.NewActionBlock(blockID(m.ID, "c"), els...)}
	}
	var order []string
	groups := map[string][]chat.Choice{}
	for _, c := range m.Choices {
		if _, ok := groups[c.Action]; !ok {
			order = append(order, c.Action)
		}
		groups[c.Action] = append(groups[c.Action], c)
	}
	var els []slackgo.BlockElement
	for gi, action := range order {
		var opts []*slackgo.OptionBlockObject
		for _, c := range groups[action] {
			if len(opts) == maxOptions {
				break
			}
			opts = append(opts, slackgo.NewOptionBlockObject(c.Value, plainText(truncate(plain(c.Label), maxLabel)), nil))
		}
		els = append(els, slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic,
			plainText(truncate(plain(placeholder), maxPlaceholder)), action+choiceSep+"s"+strconv.Itoa(gi), opts...))
	}
	return []slackgo.Block{slackgo.NewActionBlock(blockID(m.ID, "c"), els...)}
}

// actionOf recovers a dialog's action id from a Slack action_id ("checkin.mood#3").
func actionOf(actionID string) string {
	if i := strings.LastIndex(actionID, choiceSep); i > 0 {
		return actionID[:i]
	}
	return actionID
}

// answeredBlock is the line that replaces a message's buttons once one is pressed.
func (a *Adapter) answeredBlock(text string) slackgo.Block {
	return slackgo.NewContextBlock("", mrkdwnText(text))
}

// sectionBlocks turns already rendered mrkdwn back into section blocks.
func sectionBlocks(text string) []slackgo.Block {
	var out []slackgo.Block
	for _, c := range splitText(text, maxSectionText) {
		out = append(out, slackgo.NewSectionBlock(mrkdwnText(c), nil, nil))
	}
	return out
}

// formMeta travels in a modal's private_metadata from the button press to the submission.
type formMeta struct {
	Msg     string `json:"m"`
	Action  string `json:"a"`
	Channel string `json:"c,omitempty"`
	TS      string `json:"t,omitempty"`
	Resp    string `json:"r,omitempty"`
	Lang    string `json:"l,omitempty"`
}

// formRecord is what the adapter keeps of a message with a form until it is used.
type formRecord struct {
	Form chat.Form `json:"form"`
	// Text is the rendered mrkdwn of the message that offered the form.
	Text string `json:"text"`
	Lang string `json:"lang"`
}

// modal builds the view for a form.
func (a *Adapter) modal(f chat.Form, meta formMeta) (slackgo.ModalViewRequest, error) {
	loc := a.cat.For(meta.Lang)
	title := plain(f.Title)
	if title == "" {
		title = loc.T("slack.form.title")
	}
	submit := plain(f.Submit)
	if submit == "" {
		submit = loc.T("slack.form.submit")
	}
	md, err := json.Marshal(meta)
	if err != nil {
		return slackgo.ModalViewRequest{}, err
	}
	var blocks []slackgo.Block
	for _, fld := range f.Fields {
		in := slackgo.NewPlainTextInputBlockElement(nil, fld.ID)
		if fld.Placeholder != "" {
			in.Placeholder = plainText(truncate(plain(fld.Placeholder), maxPlaceholder))
		}
		in.Multiline = fld.Multiline
		if fld.MaxLen > 0 {
			in.MaxLength = min(fld.MaxLen, maxInputLength)
		}
		ib := slackgo.NewInputBlock(fld.ID, plainText(truncate(plain(fld.Label), maxInputLabel)), nil, in)
		ib.Optional = !fld.Required
		blocks = append(blocks, ib)
	}
	return slackgo.ModalViewRequest{
		Type:            slackgo.VTModal,
		Title:           plainText(truncate(title, maxViewTitle)),
		Submit:          plainText(truncate(submit, maxViewTitle)),
		Close:           plainText(truncate(loc.T("slack.form.cancel"), maxViewTitle)),
		Blocks:          slackgo.Blocks{BlockSet: blocks},
		CallbackID:      formCallbackID,
		PrivateMetadata: string(md),
	}, nil
}

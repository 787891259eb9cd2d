package discord

import (
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
)

// maxContent is Discord's limit on a message's content.
const maxContent = 2000

// zwsp is a zero-width space: placed after '@' and '<' in a person's text it keeps
// Discord from reading a mention (@everyone, <@id>, <@&role>, <#channel>, </cmd:id>,
// <t:...>) while the text looks the same.
const zwsp = "\u200b"

// markdownChars are the characters that start Discord markdown: emphasis, underline,
// strike-through, spoilers, code, quotes, headings, subtext, lists, masked links,
// emoji and links (':' breaks "https://" so a pupil's link is not clickable for others).
// A '.' after a digit ("1.") is escaped too, so a line cannot start a numbered list.
const markdownChars = "\\*_~`|>#-[]():"

// Escape neutralises text a person typed so that, shown to others on Discord, it is
// exactly that text: no mention, channel link, link, emoji or formatting. Markdown
// characters get a backslash (Discord renders "\*" as "*"), '@' and '<' a zero-width
// space after them, and invisible direction-override characters are dropped.
func Escape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	prev := rune(0)
	for _, r := range s {
		switch {
		case r == '@' || r == '<':
			b.WriteRune(r)
			b.WriteString(zwsp)
		case strings.ContainsRune(markdownChars, r) || (r == '.' && prev >= '0' && prev <= '9'):
			b.WriteByte('\\')
			b.WriteRune(r)
		case bidiControl(r):
			// dropped: they could make a pupil's words display reversed or disguised
		case r == '\r':
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

func bidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F
}

// Render turns Kring markup into Discord content: *bold* becomes **bold**, literals are escaped.
func Render(text string) string {
	return chat.Render(text, func(s string) string { return "**" + s + "**" }, Escape)
}

// noMentions allows no notification at all: "parse" present and empty.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// content renders a message's text, prefixed with the mentions it may make, within
// Discord's length limit, and the allowed_mentions that let exactly those ping.
// discordID gives a person's Discord user id ("" for none).
func content(m chat.Message, school *config.School, discordID func(*config.Person) string, ellipsis string) (string, *discordgo.MessageAllowedMentions) {
	am := noMentions()
	var prefix strings.Builder
	for _, id := range m.Mentions {
		p, ok := school.Person(id)
		if !ok {
			continue
		}
		u := discordID(p)
		if u == "" || !digits(u) {
			continue
		}
		prefix.WriteString("<@" + u + "> ")
		am.Users = append(am.Users, u)
	}
	return clip(prefix.String()+Render(m.Text), maxContent, ellipsis), am
}

// clip shortens s to at most n characters, ending with ellipsis when it had to cut.
func clip(s string, n int, ellipsis string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := n - utf8.RuneCountInString(ellipsis)
	if keep < 0 {
		keep = 0
		ellipsis = ""
	}
	i := 0
	for j := range s {
		if i == keep {
			s = s[:j]
			break
		}
		i++
	}
	// A cut right after an escaping backslash would escape the ellipsis instead.
	if n := len(s) - len(strings.TrimRight(s, "\\")); n%2 == 1 {
		s = s[:len(s)-1]
	}
	return s + ellipsis
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

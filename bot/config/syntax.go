package config

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kring-school/kring/bot/i18n"
)

// The YAML parser reports a syntax error where the enclosing block began (a broken
// line deep in the people list is reported at the start of the list, dozens of lines
// early) and in parser words. When it fails, scanSyntax reads the file line by line
// the way a person would and finds the line that is really wrong: a tab in the
// indentation, a line that lines up with nothing above it, a line nested under a line
// that already has a value, a missing colon, a quote or bracket that is never closed,
// a value holding ": ". It knows only the block style a school file is written in, so
// it stays quiet about what it does not understand; the parser's own report is the
// fallback.

// syntaxIssue is one likely cause of a syntax error: 1-based line, byte offset in the
// line, and what to do about it.
type syntaxIssue struct {
	line int
	off  int
	msg  string
	key  string // catalog message of msg, seeing args (see loader.addK)
	args []any
}

// level is one open block: the column its lines start at and what they are.
type level struct {
	indent int
	kind   byte // 'm': key: value lines, 's': list items, 'v': a line without a colon
	line   int  // for 'v': the line, to report the missing colon there
	off    int
}

// flowOpen is a [ or { still open at the end of a line.
type flowOpen struct {
	depth  int
	line   int
	off    int
	indent int
	stack  []byte
}

type syntaxScanner struct {
	lines  []string
	issues []syntaxIssue
	stack  []level
	// prevOpens: the previous content line ends in "key:" or "-" with nothing after,
	// so the next line may be nested deeper.
	prevOpens bool
	prevLine  int
	// block is the indentation of the key that started a | or > block scalar, whose
	// more indented lines are text, not YAML (-1: none).
	block int
	flow  flowOpen
}

// scanSyntax returns the likely causes of a YAML syntax error in data, top to bottom.
func scanSyntax(data []byte) []syntaxIssue {
	s := &syntaxScanner{lines: splitLines(data), block: -1}
	for i, raw := range s.lines {
		s.scanLine(i+1, raw)
	}
	if s.flow.depth > 0 {
		s.unclosedFlow()
	}
	return s.issues
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func splitLines(data []byte) []string {
	ls := strings.Split(string(data), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\r")
	}
	return ls
}

func (s *syntaxScanner) addK(line, off int, key, format string, args ...any) {
	s.issues = append(s.issues, syntaxIssue{line: line, off: off, msg: fmt.Sprintf(format, args...), key: key, args: i18n.Positional(format, args)})
}

func (s *syntaxScanner) scanLine(n int, raw string) {
	if strings.TrimSpace(raw) == "" {
		return
	}
	ws := len(raw) - len(strings.TrimLeft(raw, " \t"))
	if t := strings.IndexByte(raw[:ws], '\t'); t >= 0 {
		s.addK(n, t, "config.syntax_tab", "this line is indented with a tab; YAML allows only spaces there: replace the tab with spaces, lined up with the lines around it")
		return
	}
	indent := ws
	content := raw[ws:]
	if s.block >= 0 {
		if indent > s.block {
			return // text of a | or > block
		}
		s.block = -1
	}
	if strings.HasPrefix(content, "#") {
		return
	}
	if s.flow.depth > 0 {
		if indent <= s.flow.indent && (strings.HasPrefix(content, "- ") || content == "-" || keyEnd(content) > 0) {
			s.unclosedFlow()
		} else {
			s.scanFlow(n, raw, ws)
			return
		}
	}
	if content == "---" || content == "..." || strings.HasPrefix(content, "--- ") || strings.HasPrefix(content, "%") {
		s.stack, s.prevOpens = nil, false
		return
	}

	// Leading list dashes: "- id: anna" is a list item holding a mapping at the column
	// of "id".
	rest, off := content, ws
	dashes := 0
	for rest == "-" || strings.HasPrefix(rest, "- ") {
		dashes++
		trimmed := strings.TrimLeft(rest[1:], " ")
		off += len(rest) - len(trimmed)
		rest = trimmed
	}
	kind := byte('v')
	if dashes > 0 {
		kind = 's'
	} else if keyEnd(rest) > 0 {
		kind = 'm'
	}
	s.indentation(n, indent, kind, ws, rest)

	opens := false
	switch {
	case rest == "" || strings.HasPrefix(rest, "#"):
		opens = dashes > 0
	case keyEnd(rest) > 0:
		if dashes > 0 {
			s.stack = append(s.stack, level{indent: off, kind: 'm'})
		}
		k := keyEnd(rest)
		val := strings.TrimLeft(rest[k+1:], " ")
		voff := off + len(rest) - len(val)
		if val == "" || strings.HasPrefix(val, "#") {
			opens = true
			break
		}
		if val[0] == '|' || val[0] == '>' {
			s.block = off
			break
		}
		s.scanValue(n, raw, voff)
	default:
		if rest[0] == '"' || rest[0] == '\'' || rest[0] == '[' || rest[0] == '{' {
			s.scanValue(n, raw, off)
		}
	}
	s.prevOpens, s.prevLine = opens, n
}

// indentation checks that a line starting at column indent fits the blocks above it.
func (s *syntaxScanner) indentation(n, indent int, kind byte, off int, rest string) {
	if len(s.stack) == 0 {
		s.stack = append(s.stack, level{indent: indent, kind: kind, line: n, off: off})
		return
	}
	top := &s.stack[len(s.stack)-1]
	switch {
	case indent > top.indent:
		if !s.prevOpens {
			if kind == 'v' {
				return // a long plain value continued on the next line
			}
			s.addK(n, off, "config.syntax_nested_under_value", "this line is indented further than line %d above it, but that line already has a value, so nothing can be nested under it; start this line at column %d like its neighbours (or, if it belongs under line %d, remove the value there)",
				s.prevLine, top.indent+1, s.prevLine)
			return
		}
		s.stack = append(s.stack, level{indent: indent, kind: kind, line: n, off: off})
	case indent < top.indent:
		k := len(s.stack) - 1
		for k >= 0 && s.stack[k].indent > indent {
			k--
		}
		if k < 0 || s.stack[k].indent != indent {
			s.addK(n, off, "config.syntax_misaligned", "this line starts at column %d, which does not line up with any line above it (%s); indent it with the same number of spaces as the lines it belongs with",
				indent+1, s.columns(top.indent))
			// Carry on as if it lined up with the nearest block, so one slip is
			// reported once, not again for every line after it.
			best := len(s.stack) - 1
			for i := range s.stack {
				if abs(s.stack[i].indent-indent) < abs(s.stack[best].indent-indent) {
					best = i
				}
			}
			s.stack = s.stack[:best+1]
			return
		}
		s.stack = s.stack[:k+1]
		s.sameLevel(n, &s.stack[k], kind, off, rest)
	default:
		s.sameLevel(n, top, kind, off, rest)
	}
}

// columns names the columns the open blocks start at, nearest first.
func (s *syntaxScanner) columns(inner int) phrase {
	cols := []string{fmt.Sprint(inner + 1)}
	for i := len(s.stack) - 1; i >= 0 && len(cols) < 3; i-- {
		if c := fmt.Sprint(s.stack[i].indent + 1); c != cols[len(cols)-1] {
			cols = append(cols, c)
		}
	}
	or := joinOr(cols)
	return phrase{key: "config.syntax_columns", kv: []any{"V1", or}, en: "the lines around it start at column " + or.en}
}

// sameLevel checks a line against the block it lines up with.
func (s *syntaxScanner) sameLevel(n int, l *level, kind byte, off int, rest string) {
	switch {
	case l.kind == 'm' && kind == 'v' && strings.Contains(rest, ":"):
		c := strings.Index(rest, ":")
		s.addK(n, off+c+1, "config.syntax_colon_space", "a key needs a space after its colon; write %s: %s", rest[:c], strings.TrimSpace(rest[c+1:]))
	case l.kind == 'm' && kind == 'v':
		s.addK(n, off, "config.syntax_no_colon", "this line has no colon; write it as key: value (e.g. name: %s), like the lines around it", "Anna de Boer")
	case l.kind == 'v' && kind == 'm':
		s.addK(l.line, l.off, "config.syntax_no_colon_first", "this line has no colon; write it as key: value (e.g. id: demo), like the lines after it")
		l.kind = 'm'
	}
}

// keyEnd returns the index of the colon that ends a "key:" at the start of s, or -1.
// A quoted key counts; a colon inside a plain value such as 08:15 does not start one.
func keyEnd(s string) int {
	if s == "" {
		return -1
	}
	i := 0
	if s[0] == '"' || s[0] == '\'' {
		j := closeQuote(s, 0)
		if j < 0 {
			return -1
		}
		i = j + 1
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i < len(s) && s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			return i
		}
		return -1
	}
	if strings.ContainsRune("[{&*!|>%@`", rune(s[0])) {
		return -1
	}
	for ; i < len(s); i++ {
		switch {
		case s[i] == ':' && (i+1 == len(s) || s[i+1] == ' '):
			return i
		case s[i] == '#' && i > 0 && s[i-1] == ' ':
			return -1
		}
	}
	return -1
}

// closeQuote returns the index of the quote closing the one at s[i], or -1.
func closeQuote(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case q == '"' && s[j] == '\\':
			j++
		case s[j] == q && q == '\'' && j+1 < len(s) && s[j+1] == '\'':
			j++ // '' is an escaped quote
		case s[j] == q:
			return j
		}
	}
	return -1
}

// scanValue checks the value starting at raw[off]: a quoted string, a [ ] or { } list,
// or a plain value.
func (s *syntaxScanner) scanValue(n int, raw string, off int) {
	v := raw[off:]
	switch v[0] {
	case '"', '\'':
		j := closeQuote(v, 0)
		if j < 0 {
			s.addK(n, off, "config.syntax_quote_open", "this quote (%c) is never closed; add the closing %c at the end of the value", v[0], v[0])
			return
		}
		after := strings.TrimLeft(v[j+1:], " ")
		if after != "" && !strings.HasPrefix(after, "#") {
			s.addK(n, off+len(v)-len(after), "config.syntax_after_quote", "there is text after the closing quote; put the whole value inside the quotes")
		}
	case '[', '{':
		s.flow = flowOpen{indent: len(raw) - len(strings.TrimLeft(raw, " "))}
		s.scanFlow(n, raw, off)
	case '&', '*', '!':
		// anchors, aliases and tags: legal, and rare enough not to second-guess
	default:
		plain := v
		if c := strings.Index(plain, " #"); c >= 0 {
			plain = plain[:c]
		}
		if c := strings.Index(plain, ": "); c >= 0 {
			s.addK(n, off+c, "config.syntax_colon_in_value", "this value contains \": \", which YAML reads as a second key; put the whole value in quotes, e.g. \"%s\"", strings.TrimSpace(plain))
		}
	}
}

// scanFlow follows [ ] and { } from raw[off] to the end of the line, across lines
// while one stays open.
func (s *syntaxScanner) scanFlow(n int, raw string, off int) {
	f := &s.flow
	for i := off; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '[', '{':
			if f.depth == 0 {
				f.line, f.off = n, i
			}
			f.depth++
			f.stack = append(f.stack, c)
		case ']', '}':
			want := byte('[')
			if c == '}' {
				want = '{'
			}
			if f.depth == 0 || f.stack[len(f.stack)-1] != want {
				s.addK(n, i, "config.syntax_unmatched_close", "this %c has no matching %c before it; remove it or add the opening %c", c, want, want)
				*f = flowOpen{}
				return
			}
			f.depth--
			f.stack = f.stack[:len(f.stack)-1]
			if f.depth == 0 {
				after := strings.TrimLeft(raw[i+1:], " ")
				if after != "" && (after[0] == ']' || after[0] == '}') {
					s.addK(n, i+1+len(raw[i+1:])-len(after), "config.syntax_unmatched_bracket", "this %c has no matching opening bracket before it; remove it", after[0])
				} else if after != "" && !strings.HasPrefix(after, "#") {
					s.addK(n, i+1+len(raw[i+1:])-len(after), "config.syntax_after_bracket", "there is text after the closing %c; put it inside the brackets or remove it", c)
				}
				*f = flowOpen{}
				return
			}
		case '"', '\'':
			// A quote starts a string only where a value starts: after [ { , or ": ".
			prev := strings.TrimRight(raw[:i], " ")
			if prev == "" || strings.ContainsRune("[{,:", rune(prev[len(prev)-1])) {
				j := closeQuote(raw, i)
				if j < 0 {
					s.addK(n, i, "config.syntax_quote_open_flow", "this quote (%c) is never closed; add the closing %c after the value", c, c)
					*f = flowOpen{}
					return
				}
				i = j
			}
		case '#':
			if i > 0 && raw[i-1] == ' ' {
				return
			}
		}
	}
}

func (s *syntaxScanner) unclosedFlow() {
	f := s.flow
	open := f.stack[0]
	closing := byte(']')
	if open == '{' {
		closing = '}'
	}
	s.addK(f.line, f.off, "config.syntax_flow_open", "this %c is never closed; add %c at the end of the list (e.g. roles: [pupil])", open, closing)
	s.flow = flowOpen{}
}

// syntaxProblems turns the scanner's findings into problems that quote the line with a
// caret under the spot.
func (l *loader) syntaxProblems(data []byte, issues []syntaxIssue) {
	lines := splitLines(data)
	for _, is := range issues {
		src := ""
		col := 1
		if is.line-1 < len(lines) {
			src = lines[is.line-1]
			col = utf8.RuneCountInString(src[:min(is.off, len(src))]) + 1
		}
		l.problems = append(l.problems, Problem{File: l.file, Line: is.line, Col: col, Source: src, Msg: is.msg, Key: is.key, Args: is.args})
	}
}

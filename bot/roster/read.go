// Package roster brings a school's own roster export (Magister, SOMtoday or any
// spreadsheet) into Kring: it reads the export with Dutch and English column names,
// compares it with the current roster, and produces the new roster CSV, keeping what
// Kring knows that the export does not (platform ids, steering levels, languages) and
// marking people who left instead of deleting them.
package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Column is a piece of information Kring takes from an export.
type Column string

// The columns Kring reads. Every other column of an export (addresses, birth dates ...)
// is ignored and never stored: Kring keeps no more than it needs.
const (
	ColID     Column = "id"
	ColFirst  Column = "first name"
	ColInfix  Column = "infix"
	ColLast   Column = "last name"
	ColName   Column = "name"
	ColClass  Column = "class"
	ColMentor Column = "mentor"
	ColEmail  Column = "email"
	ColLocale Column = "locale"
	ColRole   Column = "role"
)

// Aliases are the header names each column is recognised by, compared without case,
// spaces, dashes, dots and underscores ("E-mail adres" is "emailadres"). The first is
// the name used in messages.
var Aliases = []struct {
	Column Column
	Names  []string
}{
	{ColID, []string{"leerlingnummer", "llnr", "llnummer", "leerlingnr", "stamnummer", "stamnr", "studentnummer", "student number", "student id", "pupil number", "id"}},
	{ColFirst, []string{"roepnaam", "voornaam", "first name", "given name", "called name"}},
	{ColInfix, []string{"tussenvoegsel", "tussenvoegsels", "tussenv", "voorvoegsel", "voorvoegsels", "infix", "name prefix"}},
	{ColLast, []string{"achternaam", "familienaam", "geslachtsnaam", "last name", "surname", "family name"}},
	{ColName, []string{"naam", "volledige naam", "weergavenaam", "name", "full name", "display name"}},
	{ColClass, []string{"klas", "stamklas", "stamgroep", "basisgroep", "groep", "class", "class name", "form", "homeroom"}},
	{ColMentor, []string{"mentor", "mentoren", "coach", "tutor"}},
	{ColEmail, []string{"e-mail", "emailadres", "e-mailadres", "email address", "mail", "school e-mail", "e-mail leerling"}},
	{ColLocale, []string{"taal", "language", "locale"}},
	{ColRole, []string{"rol", "role", "roles"}},
}

// normHeader folds a header for matching: lower case, letters and digits only.
func normHeader(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var aliasIndex = func() map[string]Column {
	m := map[string]Column{}
	for _, a := range Aliases {
		for _, n := range a.Names {
			m[normHeader(n)] = a.Column
		}
	}
	return m
}()

// Row is one person of an export, as read (not yet checked against the school).
type Row struct {
	// Line is the row's line in the file (1 is the header).
	Line   int
	ID     string
	Name   string
	Class  string
	Mentor string
	Email  string
	Locale string
	Roles  []string
}

// Problem is a row Kring cannot import, named by its line.
type Problem struct {
	Line   int
	Column Column
	// Text says what is wrong with the row.
	Text Text
}

func (p Problem) String() string {
	if p.Column != "" {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Column, p.Text)
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Text)
}

// Export is a school's roster export as read.
type Export struct {
	// Delimiter is the column separator found (',' or ';', or a tab).
	Delimiter rune
	// Columns maps each recognised column to the header it was found under.
	Columns map[Column]string
	// Ignored are the headers Kring does not read.
	Ignored []string
	Rows    []Row
	// Problems are rows that could not be read.
	Problems []Problem
}

// Has reports whether the export has column c.
func (x *Export) Has(c Column) bool { _, ok := x.Columns[c]; return ok }

// ErrXLSX is returned for an Excel workbook: save it as CSV first.
var ErrXLSX = &Error{Text: say("roster.xlsx", "this is an Excel workbook (.xlsx); save it as CSV (File > Save as > CSV UTF-8) and import that")}

// Read parses an export. A problem with the whole file (no header, a required column
// missing) is an error; a problem with one row is listed in Export.Problems.
func Read(data []byte) (*Export, error) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return nil, ErrXLSX
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		// Older exports and "CSV (delimited)" from a Dutch Excel are Windows-1252.
		dec, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return nil, &Error{Text: say("roster.encoding", "the file is neither UTF-8 nor Windows-1252 text"), Err: err}
		}
		data = dec
	}
	x := &Export{Delimiter: sniff(data), Columns: map[Column]string{}}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = x.Delimiter
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.LazyQuotes = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, &Error{Text: say("roster.empty", "the file is empty; its first line must be the header")}
	}
	if err != nil {
		return nil, &Error{Text: say("roster.header_not_csv", "line 1: not valid CSV"), Err: err}
	}
	at := map[Column]int{}
	for i, h := range header {
		c, ok := aliasIndex[normHeader(h)]
		if !ok {
			if strings.TrimSpace(h) != "" {
				x.Ignored = append(x.Ignored, strings.TrimSpace(h))
			}
			continue
		}
		if first, dup := x.Columns[c]; dup {
			return nil, &Error{Text: say("roster.column_twice", "line 1: both %q and %q are read as the %s; remove one of them", first, strings.TrimSpace(h), c)}
		}
		x.Columns[c] = strings.TrimSpace(h)
		at[c] = i
	}
	if err := x.checkHeader(); err != nil {
		return nil, err
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			x.Problems = append(x.Problems, Problem{Line: pe.StartLine, Text: say("roster.row_not_csv", "not valid CSV: %v", pe.Err)})
			continue
		}
		if err != nil {
			return nil, &Error{Text: say("roster.read_failed", "read export"), Err: err}
		}
		if blank(rec) {
			continue
		}
		if len(rec) > len(header) && !blank(rec[len(header):]) {
			x.Problems = append(x.Problems, Problem{Line: line, Text: say("roster.row_columns", "this row has %d columns, the header has %d", len(rec), len(header))})
			continue
		}
		get := func(c Column) string {
			if i, ok := at[c]; ok && i < len(rec) {
				return strings.Join(strings.Fields(rec[i]), " ")
			}
			return ""
		}
		row := Row{Line: line, ID: get(ColID), Class: get(ColClass), Mentor: get(ColMentor),
			Email: strings.ToLower(get(ColEmail)), Locale: strings.ToLower(get(ColLocale))}
		row.Name = get(ColName)
		if row.Name == "" {
			row.Name = strings.Join(strings.Fields(get(ColFirst)+" "+get(ColInfix)+" "+get(ColLast)), " ")
		}
		for _, s := range strings.FieldsFunc(get(ColRole), func(r rune) bool { return r == ';' || r == ',' || r == '|' }) {
			row.Roles = append(row.Roles, strings.ToLower(strings.TrimSpace(s)))
		}
		x.Rows = append(x.Rows, row)
	}
	return x, nil
}

func (x *Export) checkHeader() error {
	var missing []Text
	if !x.Has(ColID) {
		missing = append(missing, aliasList(ColID))
	}
	if !x.Has(ColName) && !(x.Has(ColFirst) && x.Has(ColLast)) {
		missing = append(missing, say("roster.need_name", "%s, or %s with %s", aliasList(ColName), aliasList(ColFirst), aliasList(ColLast)))
	}
	if !x.Has(ColClass) {
		missing = append(missing, aliasList(ColClass))
	}
	if len(missing) == 0 {
		return nil
	}
	// "a; and b; and c", as a chain of Texts so each "and" is in the reader's language.
	list := missing[0]
	for _, m := range missing[1:] {
		list = say("roster.and", "%s; and %s", list, m)
	}
	found := append([]string(nil), x.Ignored...)
	sort.Strings(found)
	return &Error{Text: say("roster.header_lacks", "line 1: the header lacks %s (columns found that Kring does not read: %s)",
		list, strings.Join(found, ", "))}
}

// aliasList names a column by its first few aliases for messages.
func aliasList(c Column) Text {
	for _, a := range Aliases {
		if a.Column == c {
			n := a.Names
			if len(n) > 3 {
				n = n[:3]
			}
			return say("roster.a_column", "a column %s", strings.Join(n, "/"))
		}
	}
	return Text{English: string(c)}
}

// sniff picks the delimiter of the header line: the most frequent of ';', ',' and tab
// outside quotes (Dutch spreadsheets save ';').
func sniff(data []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range string(data) {
		if r == '"' {
			quoted = !quoted
			continue
		}
		if r == '\n' && !quoted {
			break
		}
		if !quoted && (r == ';' || r == ',' || r == '\t') {
			counts[r]++
		}
	}
	best := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

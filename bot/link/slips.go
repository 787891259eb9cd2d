package link

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/i18n"
)

// WriteCSV writes issued codes as CSV (id,name,class,code,expires), for a mail merge or
// the school's own system. The file holds live codes: hand it out, then delete it.
func WriteCSV(w io.Writer, issued []Issued, loc *time.Location) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "name", "class", "code", "expires"})
	for _, c := range issued {
		_ = cw.Write([]string{c.Person.ID, c.Person.Name, c.Person.Class(), c.Code, c.Expires.In(loc).Format("2006-01-02")})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write codes: %w", err)
	}
	return nil
}

// slipTexts are one language's texts on a slip.
type slipTexts struct {
	Lang, Intro, Expires, Discord, Slack, Private string
}

type slip struct {
	Name, Class, Code, CodeLabel string
	Texts                        []slipTexts
}

var page = template.Must(template.New("slips").Parse(`<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1cm; color: #111; }
  h1 { font-size: 14pt; }
  .slip { border: 1px dashed #888; padding: 0.5cm; margin-bottom: 0.5cm; page-break-inside: avoid; break-inside: avoid; }
  .who { font-size: 13pt; font-weight: bold; }
  .code { font-family: ui-monospace, monospace; font-size: 22pt; letter-spacing: 0.15em; margin: 0.2cm 0; }
  .label { font-family: system-ui, sans-serif; font-size: 10pt; letter-spacing: normal; }
  .lang { display: inline-block; width: 48%; vertical-align: top; font-size: 10pt; }
  .lang p { margin: 0.1cm 0; }
  @media print { h1 { display: none; } body { margin: 0.5cm; } }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Slips}}<div class="slip">
<div class="who">{{.Name}} · {{.Class}}</div>
<div class="code"><span class="label">{{.CodeLabel}}:</span> {{.Code}}</div>
{{range .Texts}}<div class="lang" lang="{{.Lang}}">
<p>{{.Intro}}</p>
<p>{{.Expires}}</p>
{{if .Discord}}<p>{{.Discord}}</p>
{{end}}{{if .Slack}}<p>{{.Slack}}</p>
{{end -}}
<p><i>{{.Private}}</i></p>
</div>
{{end}}</div>
{{end}}</body>
</html>
`))

// WriteHTML writes a printable page with one slip per person: name, class, code, and
// the steps in Dutch and English for each platform in platforms (both when empty).
func WriteHTML(w io.Writer, cat *i18n.Catalog, title string, issued []Issued, loc *time.Location, platforms []chat.Platform) error {
	show := func(p chat.Platform) bool { return len(platforms) == 0 || slices.Contains(platforms, p) }
	data := struct {
		Title string
		Slips []slip
	}{Title: title}
	var labels []string
	for _, lang := range i18n.Languages {
		labels = append(labels, cat.For(lang).T("linkpage.code"))
	}
	for _, c := range issued {
		s := slip{Name: c.Person.Name, Class: c.Person.Class(), Code: c.Code, CodeLabel: strings.Join(labels, " / ")}
		date := c.Expires.In(loc).Format("2006-01-02")
		for _, lang := range i18n.Languages {
			L := cat.For(lang)
			t := slipTexts{Lang: lang, Intro: L.T("linkpage.intro"), Expires: L.T("linkpage.expires", "Date", date),
				Private: L.T("linkpage.private")}
			if show(chat.Discord) {
				t.Discord = L.T("linkpage.discord")
			}
			if show(chat.Slack) {
				t.Slack = L.T("linkpage.slack")
			}
			s.Texts = append(s.Texts, t)
		}
		data.Slips = append(data.Slips, s)
	}
	if err := page.Execute(w, data); err != nil {
		return fmt.Errorf("write slips: %w", err)
	}
	return nil
}

package roster

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Report writes what the import finds and plans, for the operator: the columns read
// and ignored, counts per class, one line per added, changed or departed person, and
// every row that cannot be imported, named by file and line. tr renders the report's
// sentences in the operator's language (an i18n Localizer's T); nil writes English.
func Report(w io.Writer, file string, x *Export, p *Plan, tr func(key string, kv ...any) string) error {
	ew := &errWriter{w: w}
	in := func(key, format string, args ...any) string { return say(key, format, args...).In(tr) }
	sep := map[rune]Text{',': {English: "','"}, ';': {English: "';'"}, '\t': say("roster.tab", "tab")}[x.Delimiter]
	ew.printf("%s\n", in("roster.report_rows", "%s: %d rows, separated by %s", file, len(x.Rows)+len(x.Problems), sep))
	var read []string
	for _, a := range Aliases {
		if h, ok := x.Columns[a.Column]; ok {
			read = append(read, fmt.Sprintf("%s (%s)", h, a.Column))
		}
	}
	ew.printf("%s\n", in("roster.report_read", "columns read: %s", strings.Join(read, ", ")))
	if len(x.Ignored) > 0 {
		ew.printf("%s\n", in("roster.report_ignored", "columns ignored, not stored: %s", strings.Join(x.Ignored, ", ")))
	}
	ew.printf("\n")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, in("roster.report_header", "class\tadded\tchanged\tleft\tunchanged\t"))
	var total Count
	for _, c := range p.Counts() {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", c.Class, c.Added, c.Changed, c.Left, c.Unchanged)
		total.Added += c.Added
		total.Changed += c.Changed
		total.Left += c.Left
		total.Unchanged += c.Unchanged
	}
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", in("roster.report_total", "total"), total.Added, total.Changed, total.Left, total.Unchanged)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	changes := append([]Change(nil), p.Changes...)
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].Class < changes[j].Class })
	first := true
	for _, c := range changes {
		mark := map[Kind]string{Added: "+", Changed: "~", Left: "-"}[c.Kind]
		if mark == "" {
			continue
		}
		if first {
			ew.printf("\n")
			first = false
		}
		line := fmt.Sprintf("%s %-4s %-10s %s", mark, c.Class, c.Person.ID, c.Person.Name)
		switch c.Kind {
		case Changed:
			what := make([]string, len(c.What))
			for i, t := range c.What {
				what[i] = t.In(tr)
			}
			line += ": " + strings.Join(what, ", ")
		case Left:
			line += ": " + in("roster.report_left", "left, marked inactive (no more check-ins)")
		}
		ew.printf("%s\n", line)
	}
	for _, r := range p.InSchoolFile {
		ew.printf("\n%s\n", in("roster.report_in_school_file", "%s:%d: %s is defined in the school file; the import leaves them to it", file, r.Line, r.ID))
	}
	probs := append(append([]Problem(nil), x.Problems...), p.Problems...)
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	if len(probs) > 0 {
		ew.printf("\n%s\n", in("roster.report_bad_rows", "%d row(s) cannot be imported:", len(probs)))
		for _, pr := range probs {
			if pr.Column != "" {
				ew.printf("%s:%d: %s: %s\n", file, pr.Line, pr.Column, pr.Text.In(tr))
			} else {
				ew.printf("%s:%d: %s\n", file, pr.Line, pr.Text.In(tr))
			}
		}
	}
	return ew.err
}

// Bad returns every row problem of the export and the plan.
func Bad(x *Export, p *Plan) int { return len(x.Problems) + len(p.Problems) }

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

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
// every row that cannot be imported, named by file and line.
func Report(w io.Writer, file string, x *Export, p *Plan) error {
	ew := &errWriter{w: w}
	sep := map[rune]string{',': "','", ';': "';'", '\t': "tab"}[x.Delimiter]
	ew.printf("%s: %d rows, separated by %s\n", file, len(x.Rows)+len(x.Problems), sep)
	var read []string
	for _, a := range Aliases {
		if h, ok := x.Columns[a.Column]; ok {
			read = append(read, fmt.Sprintf("%s (%s)", h, a.Column))
		}
	}
	ew.printf("columns read: %s\n", strings.Join(read, ", "))
	if len(x.Ignored) > 0 {
		ew.printf("columns ignored, not stored: %s\n", strings.Join(x.Ignored, ", "))
	}
	ew.printf("\n")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\tadded\tchanged\tleft\tunchanged\t")
	var total Count
	for _, c := range p.Counts() {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", c.Class, c.Added, c.Changed, c.Left, c.Unchanged)
		total.Added += c.Added
		total.Changed += c.Changed
		total.Left += c.Left
		total.Unchanged += c.Unchanged
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t\n", total.Added, total.Changed, total.Left, total.Unchanged)
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
			line += ": " + strings.Join(c.What, ", ")
		case Left:
			line += ": left, marked inactive (no more check-ins)"
		}
		ew.printf("%s\n", line)
	}
	for _, r := range p.InSchoolFile {
		ew.printf("\n%s:%d: %s is defined in the school file; the import leaves them to it\n", file, r.Line, r.ID)
	}
	probs := append(append([]Problem(nil), x.Problems...), p.Problems...)
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	if len(probs) > 0 {
		ew.printf("\n%d row(s) cannot be imported:\n", len(probs))
		for _, pr := range probs {
			if pr.Column != "" {
				ew.printf("%s:%d: %s: %s\n", file, pr.Line, pr.Column, pr.Msg)
			} else {
				ew.printf("%s:%d: %s\n", file, pr.Line, pr.Msg)
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

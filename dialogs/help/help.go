// Package help is the /help conversation: it lists the commands the asking person may
// use, in their language, each with how to type it and one example, and closes with a
// line for their role (pupils and staff need to know different things).
package help

import (
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
)

// Dialog answers /help.
type Dialog struct {
	others []dialog.Dialog
}

// New returns the help dialog for the given dialogs' commands.
func New(others ...dialog.Dialog) *Dialog { return &Dialog{others: others} }

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return "help" }

// Commands implements dialog.Dialog.
func (*Dialog) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{{Name: "help"}}
}

// Step lists the commands the person may use.
func (d *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	L := in.L
	var b strings.Builder
	b.WriteString(L.T("help.intro", "Name", chat.Literal(firstName(in.Person.Name))))
	specs := d.Commands()
	for _, o := range d.others {
		specs = append(specs, o.Commands()...)
	}
	pupil, class := examples(in)
	for _, c := range specs {
		if !c.Allowed(in.Person) {
			continue
		}
		b.WriteString("\n- *" + c.Usage(L) + "*: " + L.T("cmd."+c.Name+".desc"))
		if len(c.Options) > 0 {
			// A command without options is its own example.
			ex := L.T("cmd."+c.Name+".example", "Command", c.Label(L), "Pupil", chat.Literal(pupil), "Class", chat.Literal(class))
			b.WriteString("\n  " + L.T("help.example", "Example", ex))
		}
	}
	outro := "help.outro.staff"
	if in.Person.Has(config.Pupil) {
		outro = "help.outro.pupil"
	}
	b.WriteString("\n" + L.T(outro))
	return dialog.Result{Messages: []chat.Message{{
		To:   chat.Target{Kind: chat.ToPerson, Person: in.Person.ID},
		Text: b.String(),
	}}}, nil
}

// examples picks a real pupil and class for the examples: one of the person's mentees
// or classmates where there is one, so an example can be typed as it stands.
func examples(in dialog.Input) (pupil, class string) {
	if in.School == nil {
		return "anna", "2B"
	}
	class = in.Person.Class()
	for _, p := range in.School.People {
		if !p.Has(config.Pupil) {
			continue
		}
		if pupil == "" || p.Mentor == in.Person.ID {
			pupil = p.ID
			if p.Mentor == in.Person.ID {
				break
			}
		}
	}
	if class == "" && len(in.School.Classes) > 0 {
		class = in.School.Classes[0].ID
	}
	if pupil == "" {
		pupil = "anna"
	}
	return pupil, class
}

func firstName(name string) string {
	for _, t := range []string{"Mevr. ", "Dhr. ", "Mw. "} {
		if strings.HasPrefix(name, t) {
			return name
		}
	}
	f, _, _ := strings.Cut(name, " ")
	return f
}

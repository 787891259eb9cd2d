// Package help is the /help conversation: it lists the commands the asking person may
// use, with their localised names and descriptions.
package help

import (
	"strings"

	"github.com/kring-school/kring/bot/chat"
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
	var b strings.Builder
	b.WriteString(in.L.T("help.intro", "Name", chat.Literal(firstName(in.Person.Name))))
	specs := d.Commands()
	for _, o := range d.others {
		specs = append(specs, o.Commands()...)
	}
	for _, c := range specs {
		if !c.Allowed(in.Person) {
			continue
		}
		b.WriteString("\n- */" + in.L.T("cmd."+c.Name+".name") + "*: " + in.L.T("cmd."+c.Name+".desc"))
	}
	b.WriteString("\n" + in.L.T("help.outro"))
	return dialog.Result{Messages: []chat.Message{{
		To:   chat.Target{Kind: chat.ToPerson, Person: in.Person.ID},
		Text: b.String(),
	}}}, nil
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

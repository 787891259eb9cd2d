package bot

import (
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
)

// parseArgs fills a command's options from the event: named options where the platform
// gives them, otherwise positional words of ArgText, the last text option taking the
// rest of the line. Person options are resolved to roster ids. A problem comes back as
// the reply that explains it.
func (e *Engine) parseArgs(spec dialog.CommandSpec, ev chat.Event, L *i18n.Localizer) (map[string]string, *chat.Message) {
	args := map[string]string{}
	if ev.Args != nil {
		for k, v := range ev.Args {
			args[k] = strings.TrimSpace(v)
		}
	} else {
		rest := strings.TrimSpace(ev.ArgText)
		for i, o := range spec.Options {
			if rest == "" {
				break
			}
			if o.Kind == dialog.OptText && i == len(spec.Options)-1 {
				args[o.Name] = rest
				rest = ""
				break
			}
			word, tail, _ := strings.Cut(rest, " ")
			args[o.Name] = word
			rest = strings.TrimSpace(tail)
		}
		if rest != "" && len(spec.Options) > 0 {
			// Trailing words belong to the last text option, if any.
			for i := len(spec.Options) - 1; i >= 0; i-- {
				if spec.Options[i].Kind == dialog.OptText {
					args[spec.Options[i].Name] = strings.TrimSpace(args[spec.Options[i].Name] + " " + rest)
					rest = ""
					break
				}
			}
		}
	}
	for _, o := range spec.Options {
		v := args[o.Name]
		if v == "" {
			if o.Required {
				m := e.reply(ev, L, "core.bad_args", "Problem", L.T("core.missing_option", "Option", o.Name), "Usage", usage(spec, L))
				return nil, &m
			}
			continue
		}
		switch o.Kind {
		case dialog.OptPerson:
			p, ok := e.resolvePerson(ev.Platform, v)
			if !ok {
				m := e.reply(ev, L, "core.unknown_person", "Ref", chat.Literal(v), "Example", e.exampleID())
				return nil, &m
			}
			args[o.Name] = p
		case dialog.OptChoice:
			found := ""
			for _, c := range o.Choices {
				if strings.EqualFold(c, v) {
					found = c
				}
			}
			if found == "" {
				m := e.reply(ev, L, "core.bad_args", "Problem", L.T("core.bad_choice", "Option", o.Name, "Value", chat.Literal(v), "Choices", strings.Join(o.Choices, ", ")), "Usage", usage(spec, L))
				return nil, &m
			}
			args[o.Name] = found
		case dialog.OptClass:
			if _, ok := e.school.Class(v); !ok {
				m := e.reply(ev, L, "core.bad_args", "Problem", L.T("core.unknown_class", "Class", chat.Literal(v)), "Usage", usage(spec, L))
				return nil, &m
			}
		}
	}
	return args, nil
}

// resolvePerson accepts a roster id, a full name, or a platform mention (<@123>, <@U123|name>).
func (e *Engine) resolvePerson(platform chat.Platform, ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "<@") && strings.HasSuffix(ref, ">") {
		id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(ref, "<@"), "!"), ">")
		id, _, _ = strings.Cut(id, "|")
		if p, ok := e.school.ByPlatform(string(platform), id); ok {
			return p.ID, true
		}
		return "", false
	}
	if p, ok := e.school.ByPlatform(string(platform), ref); ok && platform != chat.Shell {
		return p.ID, true
	}
	p, ok := e.school.FindPerson(strings.TrimPrefix(ref, "@"))
	if !ok {
		return "", false
	}
	return p.ID, true
}

func (e *Engine) exampleID() string {
	for _, p := range e.school.People {
		if len(p.Roles) > 0 && p.Roles[0] == "pupil" {
			return p.ID
		}
	}
	return "anna"
}

// usage renders "/name <option> [option]" with the localised command name.
func usage(spec dialog.CommandSpec, L *i18n.Localizer) string {
	var b strings.Builder
	b.WriteString("/" + L.T("cmd."+spec.Name+".name"))
	for _, o := range spec.Options {
		name := o.Name
		if o.Kind == dialog.OptChoice {
			name = strings.Join(o.Choices, "|")
		}
		if o.Required {
			b.WriteString(" <" + name + ">")
		} else {
			b.WriteString(" [" + name + "]")
		}
	}
	return b.String()
}

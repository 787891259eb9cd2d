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
		positional(spec, ev.ArgText, args, e.optionNames(spec))
	}
	for _, o := range spec.Options {
		v := args[o.Name]
		if v == "" {
			if o.Required {
				m := e.reply(ev, L, "core.bad_args", "Problem", L.T("core.missing_option", "Option", spec.OptionLabel(L, o)), "Usage", spec.Usage(L))
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
				// Accept the word in either language ("gedeeld" for shared).
				for _, lang := range i18n.Languages {
					if strings.EqualFold(e.cat.For(lang).T("choice."+c), v) {
						found = c
					}
				}
			}
			if found == "" {
				words := make([]string, len(o.Choices))
				for i, c := range o.Choices {
					words[i] = dialog.ChoiceLabel(L, c)
				}
				m := e.reply(ev, L, "core.bad_args", "Problem", L.T("core.bad_choice", "Option", spec.OptionLabel(L, o), "Value", chat.Literal(v), "Choices", strings.Join(words, ", ")), "Usage", spec.Usage(L))
				return nil, &m
			}
			args[o.Name] = found
		case dialog.OptClass:
			if _, ok := e.school.Class(v); !ok {
				m := e.reply(ev, L, "core.bad_args", "Problem", L.T("core.unknown_class", "Class", chat.Literal(v)), "Usage", spec.Usage(L))
				return nil, &m
			}
		}
	}
	return args, nil
}

// positional fills args from free text: "name:value" words set non-text options by
// name anywhere on the line; the remaining words fill the options in order, and a text
// option takes the rest of the line.
func positional(spec dialog.CommandSpec, text string, args map[string]string, names map[string]string) {
	var words []string
	for _, w := range strings.Fields(text) {
		if k, v, ok := strings.Cut(w, ":"); ok && names[strings.ToLower(k)] != "" && v != "" {
			args[names[strings.ToLower(k)]] = v
			continue
		}
		words = append(words, w)
	}
	for _, o := range spec.Options {
		if len(words) == 0 {
			return
		}
		if _, done := args[o.Name]; done {
			continue
		}
		if o.Kind == dialog.OptText {
			args[o.Name] = strings.Join(words, " ")
			return
		}
		args[o.Name] = words[0]
		words = words[1:]
	}
}

// optionNames maps the names a person may type before a colon ("klas:2B", "class:2B")
// to the canonical option name: every non-text option, in every language.
func (e *Engine) optionNames(spec dialog.CommandSpec) map[string]string {
	names := map[string]string{}
	for _, o := range spec.Options {
		if o.Kind == dialog.OptText {
			continue
		}
		names[strings.ToLower(o.Name)] = o.Name
		for _, lang := range i18n.Languages {
			names[strings.ToLower(spec.OptionLabel(e.cat.For(lang), o))] = o.Name
		}
	}
	return names
}

// resolvePerson accepts a roster id, a full name, or a platform mention (<@123>, <@U123|name>).
func (e *Engine) resolvePerson(platform chat.Platform, ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "<@") && strings.HasSuffix(ref, ">") {
		id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(ref, "<@"), "!"), ">")
		id, _, _ = strings.Cut(id, "|")
		if p, ok := e.dir.Person(platform, id); ok {
			return p.ID, true
		}
		return "", false
	}
	if p, ok := e.dir.Person(platform, ref); ok && platform != chat.Shell {
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

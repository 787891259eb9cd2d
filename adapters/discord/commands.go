package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/bwmarrin/discordgo"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
)

// Discord locales that get Kring's texts: Dutch, and English for both English clients.
var commandLocales = map[discordgo.Locale]string{
	discordgo.Dutch: "nl", discordgo.EnglishUS: "en", discordgo.EnglishGB: "en",
}

// BuildCommands turns dialog command declarations into Discord application commands.
// The canonical name is the command's Discord name (it is what interactions carry);
// the catalogs' cmd.NAME.name, cmd.NAME.desc and cmd.NAME.opt.OPTION give the names and
// descriptions Dutch and English clients show. Adding a command to a dialog is all it
// takes to have it here.
func BuildCommands(specs []chat.Command, cat *i18n.Catalog, school *config.School) ([]*discordgo.ApplicationCommand, error) {
	out := make([]*discordgo.ApplicationCommand, 0, len(specs))
	seen := map[string]bool{}
	for _, sp := range specs {
		name := strings.ToLower(sp.Name)
		if commandName(name) != name {
			return nil, fmt.Errorf("command %q: Discord names are 1-32 lowercase letters, digits, - or _", sp.Name)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		cmd := &discordgo.ApplicationCommand{
			Type:              discordgo.ChatApplicationCommand,
			Name:              name,
			NameLocalizations: localized(cat, "cmd."+name+".name", 32, commandName),
			Description:       text(cat, "en", "cmd."+name+".desc", name, 100),
			Options:           []*discordgo.ApplicationCommandOption{},
			Contexts:          &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
		}
		if d := localized(cat, "cmd."+name+".desc", 100, nil); d != nil {
			cmd.DescriptionLocalizations = d
		}
		opts := slices.Clone(sp.Options)
		// Discord wants required options before optional ones.
		slices.SortStableFunc(opts, func(a, b chat.CommandOption) int {
			switch {
			case a.Required == b.Required:
				return 0
			case a.Required:
				return -1
			}
			return 1
		})
		for _, o := range opts {
			on := strings.ToLower(o.Name)
			if commandName(on) != on {
				return nil, fmt.Errorf("command %s option %q: not a valid Discord option name", name, o.Name)
			}
			key := "cmd." + name + ".opt." + on
			opt := &discordgo.ApplicationCommandOption{
				Name: on, Required: o.Required, Description: text(cat, "en", key, on, 100),
			}
			if d := localized(cat, key, 100, nil); d != nil {
				opt.DescriptionLocalizations = *d
			}
			// The option's name in each language ("klas" for class); the value
			// Discord sends back stays keyed by the canonical name.
			if n := localized(cat, "cmd."+name+".arg."+on, 32, commandName); n != nil {
				opt.NameLocalizations = *n
			}
			switch o.Kind {
			case chat.OptPerson:
				opt.Type = discordgo.ApplicationCommandOptionUser
			case chat.OptChoice:
				opt.Type = discordgo.ApplicationCommandOptionString
				for _, c := range o.Choices {
					ch := &discordgo.ApplicationCommandOptionChoice{Name: clip(c, 100, ""), Value: c}
					// The shown name comes from cmd.NAME.opt.OPTION.choice.VALUE, else from the
					// Engine's shared choice.VALUE words; the value stays canonical.
					ck := key + ".choice." + c
					if !cat.Has("en", ck) && !cat.Has("nl", ck) {
						ck = "choice." + c
					}
					if cat.Has("en", ck) {
						ch.Name = text(cat, "en", ck, c, 100)
					}
					if d := localized(cat, ck, 100, nil); d != nil {
						ch.NameLocalizations = *d
					}
					opt.Choices = append(opt.Choices, ch)
				}
				if len(opt.Choices) > 25 {
					return nil, fmt.Errorf("command %s option %s: Discord allows 25 choices, not %d", name, on, len(opt.Choices))
				}
			case chat.OptClass:
				opt.Type = discordgo.ApplicationCommandOptionString
				if school != nil && len(school.Classes) <= 25 {
					for _, c := range school.Classes {
						label := c.Name
						if label == "" {
							label = c.ID
						}
						opt.Choices = append(opt.Choices, &discordgo.ApplicationCommandOptionChoice{Name: clip(label, 100, ""), Value: c.ID})
					}
				}
			default:
				opt.Type = discordgo.ApplicationCommandOptionString
				opt.MaxLength = 4000
			}
			cmd.Options = append(cmd.Options, opt)
		}
		out = append(out, cmd)
	}
	return out, nil
}

// text renders a catalog text for the default (English) fields, falling back to def.
func text(cat *i18n.Catalog, lang, key, def string, n int) string {
	if !cat.Has(lang, key) {
		return def
	}
	s := strings.TrimSpace(cat.For(lang).T(key))
	if s == "" {
		return def
	}
	return clip(s, n, "…")
}

// localized collects a catalog text per Discord locale; norm (if set) turns it into a
// valid command name and drops it when nothing is left.
func localized(cat *i18n.Catalog, key string, n int, norm func(string) string) *map[discordgo.Locale]string {
	m := map[discordgo.Locale]string{}
	for loc, lang := range commandLocales {
		if !cat.Has(lang, key) {
			continue
		}
		s := strings.TrimSpace(cat.For(lang).T(key))
		if norm != nil {
			s = norm(s)
		}
		if s = clip(s, n, ""); s != "" {
			m[loc] = s
		}
	}
	if len(m) == 0 {
		return nil
	}
	return &m
}

// commandName turns s into a valid Discord command name: lowercase letters and digits,
// '-' and '_', spaces become '-', at most 32 characters.
func commandName(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if n == 32 {
			break
		}
		switch {
		case r == ' ':
			r = '-'
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
		default:
			continue
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// RegisterCommands overwrites the guild's commands with Kring's in one request, so
// running it again changes nothing and a removed command disappears. Run calls it.
func (a *Adapter) RegisterCommands(ctx context.Context) error {
	a.runMu.Lock()
	specs := a.commands
	a.runMu.Unlock()
	if len(specs) == 0 {
		specs = a.o.Commands
	}
	cmds, err := BuildCommands(specs, a.cat, a.school)
	if err != nil {
		return fmt.Errorf("discord commands: %w", err)
	}
	app, err := a.app(ctx)
	if err != nil {
		return err
	}
	guild := a.school.Discord.Guild
	for attempt := 1; ; attempt++ {
		if err := a.pace(ctx, ""); err != nil {
			return err
		}
		_, err := a.s.ApplicationCommandBulkOverwrite(app, guild, cmds, discordgo.WithContext(ctx))
		if err == nil {
			names := make([]string, len(cmds))
			for i, c := range cmds {
				names[i] = c.Name
			}
			a.log.Info("registered commands", "guild", guild, "commands", strings.Join(names, " "))
			return nil
		}
		cerr := a.classify(err, "register commands")
		var re *chat.RetryError
		if errors.As(cerr, &re) && attempt < 5 {
			t := time.NewTimer(re.After)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		}
		var ae *apiError
		if errors.As(cerr, &ae) && (ae.status == http.StatusForbidden || ae.code == 50001) {
			return fmt.Errorf("%w: invite the bot with the applications.commands scope (kring discord invite-url) and check discord.guild in the config", cerr)
		}
		return cerr
	}
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kring-school/kring/bot/i18n"
)

// ui is how a subcommand speaks to the person running it: the catalogs (which the
// chat-facing parts need too) and the operator's language, chosen once by run.
type ui struct {
	cat *i18n.Catalog
	L   *i18n.Localizer
}

// cliLang chooses the language kring speaks to its operator. The first source that
// names Dutch or English wins: the --lang flag, KRING_LANG, the school file's locale
// (when the subcommand loads one), then the POSIX locale (LC_ALL, LC_MESSAGES, LANG,
// of which only the first one set counts, as in every POSIX program). Anything else
// is English: an admin who set a locale Kring does not speak reads English best.
func cliLang(flagLang string, getenv func(string) string, schoolLocale string) string {
	for _, v := range []string{flagLang, getenv("KRING_LANG"), schoolLocale} {
		if l := baseLang(v); l != "" {
			return l
		}
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			if baseLang(v) == "nl" {
				return "nl"
			}
			return "en"
		}
	}
	return "en"
}

// baseLang reads "nl", "NL", "nl_NL.UTF-8", "nl-BE" or "en_GB@euro" as nl or en, and
// anything else (C, POSIX, de_DE, "") as "".
func baseLang(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, "_-.@"); i >= 0 {
		v = v[:i]
	}
	if v == "nl" || v == "en" {
		return v
	}
	return ""
}

// langArg finds the value of flag name (--lang, -lang, --lang=x) in args before any
// "--". run needs it before a subcommand builds its flags, since the flags'
// descriptions are in that language.
func langArg(args []string, name string) string {
	for i, a := range args {
		if a == "--" {
			return ""
		}
		for _, p := range []string{"-" + name, "--" + name} {
			if a == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v
			}
		}
	}
	return ""
}

// configArg is the school file a subcommand will load: --config, else KRING_CONFIG,
// else the default, the same order common.bind uses.
func configArg(args []string, getenv func(string) string) string {
	if v := langArg(args, "config"); v != "" {
		return v
	}
	if v := getenv("KRING_CONFIG"); v != "" {
		return v
	}
	return "examples/school.yaml"
}

// peekLocale reads only the locale of a school file, without checking the rest: the
// language has to be known before the file is loaded, because loading it can fail and
// that failure must be told in the chosen language. "" when the file cannot be read;
// the school default (nl) when it names none, as config.Load would make it.
func peekLocale(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var f struct {
		Locale string `yaml:"locale"`
	}
	if yaml.Unmarshal(data, &f) != nil {
		return ""
	}
	if f.Locale == "" {
		return "nl"
	}
	return f.Locale
}

// langFlag accepts --lang on fs. Its value was read by run before the flags were made
// (langArg); the flag is here so the parser accepts it and --help lists it.
func (u *ui) langFlag(fs *flag.FlagSet, name string) {
	fs.String(name, "", u.L.T("cli.flag.lang"))
}

// checkLang refuses a --lang value that is not nl or en.
func checkLang(v string) bool {
	return v == "" || v == "nl" || v == "en"
}

// printFlags writes the flags of fs the way flag.PrintDefaults does, but with the
// argument kind and "(default ...)" in the reader's language, which PrintDefaults
// writes in English.
func (u *ui) printFlags(w io.Writer, fs *flag.FlagSet) {
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		arg, usage := flag.UnquoteUsage(f)
		switch arg {
		case "string", "int", "float", "duration", "uint", "value":
			arg = u.L.T("cli.arg." + arg)
		}
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		switch d := f.DefValue; {
		case d == "" || d == "0" || d == "false":
		case arg == "" && d == "true":
			line += " " + u.L.T("cli.default_on")
		case fmt.Sprintf("%T", f.Value) == "*flag.stringValue":
			line += " " + u.L.T("cli.default", "Value", fmt.Sprintf("%q", d))
		default:
			line += " " + u.L.T("cli.default", "Value", d)
		}
		fmt.Fprintln(w, line)
	}
}

// parseFlags parses args; done is true when the command must stop with code: 0 after
// --help (which is an answer, not a failure), 2 after a bad flag. The flag package's
// own messages are English, so it writes nothing: usage writes the help, and a bad
// flag is told here.
func (u *ui) parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, usage func()) (code int, done bool) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return 0, true
	case err != nil:
		fmt.Fprintf(stderr, "%s: %s\n\n", fs.Name(), u.flagError(err))
		usage()
		return 2, true
	}
	return 0, false
}

// badValue is the flag package's error for a value its flag cannot take.
var badValue = regexp.MustCompile(`^invalid (?:boolean )?value (".*") for (?:flag )?(-\S+): `)

// flagError says what the flag package found wrong, in the reader's language. The
// package's errors are plain strings; the known shapes are recognised, anything else
// is shown as it is.
func (u *ui) flagError(err error) string {
	msg := err.Error()
	if m := badValue.FindStringSubmatch(msg); m != nil {
		return u.L.T("cli.flag_bad_value", "Flag", m[2], "Value", m[1])
	}
	for _, k := range []struct{ prefix, key string }{
		{"flag provided but not defined: ", "cli.flag_unknown"},
		{"flag needs an argument: ", "cli.flag_needs_value"},
		{"bad flag syntax: ", "cli.flag_syntax"},
	} {
		if rest, ok := strings.CutPrefix(msg, k.prefix); ok {
			return u.L.T(k.key, "Flag", rest)
		}
	}
	return u.L.T("cli.flag_invalid", "Error", msg)
}

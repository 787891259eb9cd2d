package config

import (
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kring-school/kring/bot/i18n"

	// Time zones must load on hosts without a zoneinfo database (minimal containers),
	// or a valid schedule would be refused there.
	_ "time/tzdata"
)

// Load reads and validates the school configuration file at path. On any problem it
// returns a Problems error listing every problem found, each with file, line and field.
func Load(path string) (*School, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Problems{unreadable(path, err)}
	}
	return Parse(data, path)
}

// unreadable is the problem of a school or roster file that cannot be read.
func unreadable(path string, err error) Problem {
	err = unwrapPath(err)
	return Problem{File: path, Msg: fmt.Sprintf("cannot read the file: %v", err), Key: "config.unreadable", Args: []any{"V1", err}}
}

// Check validates the configuration file at path and returns its problems, or nil when
// it is fine. It backs `kring config check FILE`.
func Check(path string) Problems {
	_, err := Load(path)
	if err == nil {
		return nil
	}
	var ps Problems
	if errors.As(err, &ps) {
		return ps
	}
	return Problems{{File: path, Msg: err.Error()}}
}

// Parse validates a configuration held in data; name is the file name used in problems,
// and the directory a relative roster path is read from.
func Parse(data []byte, name string) (*School, error) {
	l := &loader{file: name, lines: map[string]int{}, failed: map[string]bool{}, files: []string{name}}
	return l.finish(l.parse(data))
}

// finish turns a parse into its result: the problems, or the prepared school.
func (l *loader) finish(s *School) (*School, error) {
	name := l.file
	if len(l.problems) > 0 {
		sortProblems(l.problems, l.files)
		return nil, l.problems
	}
	if err := s.Prepare(); err != nil {
		// Validation covers what Prepare checks, so this is a bug rather than bad input;
		// still report it in the same shape.
		return nil, Problems{{File: name, Msg: err.Error()}}
	}
	return s, nil
}

// loader holds the state of one Parse: where each field was, and what is wrong.
type loader struct {
	file     string
	files    []string        // every file read, main file first, for ordering problems
	lines    map[string]int  // field path -> line in the main file
	failed   map[string]bool // field paths whose value could not be read
	problems Problems
	origins  []origin // parallel to School.People: where each person came from
	roster   string   // when set, the roster CSV read instead of the one the file names
}

// origin is where a person was defined: a YAML entry or a CSV row.
type origin struct {
	file  string
	line  int // CSV row line; 0 for YAML people (their lines are in loader.lines)
	index int // YAML people index
	csv   bool
}

// addK reports a problem at file, line and field; key is the catalog message that
// says the sentence in the reader's language. The message sees args as .V1, .V2 ...: the call keeps its English format
// and arguments, so a sentence gets its message without being rewritten.
func (l *loader) addK(file string, line int, field, key, format string, args ...any) {
	p := Problem{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...), Key: key}
	if key != "" {
		p.Args = i18n.Positional(format, args)
	}
	l.problems = append(l.problems, p)
}

// atK reports a problem on a field of the main file, at the line of the field or, when
// the field is absent, of the nearest enclosing one; key is its catalog message (see
// addK).
func (l *loader) atK(field, key, format string, args ...any) {
	l.addK(l.file, l.line(field), field, key, format, args...)
}

// line finds the line of path, or of its nearest recorded parent.
func (l *loader) line(path string) int {
	for p := path; ; {
		if n, ok := l.lines[p]; ok {
			return n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return l.lines[""]
		}
		p = p[:i]
	}
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (l *loader) parse(data []byte) *School {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		if issues := scanSyntax(data); len(issues) > 0 {
			l.syntaxProblems(data, issues)
			return nil
		}
		// The scanner found nothing it recognises: the parser's words and line are
		// the best there is.
		line, msg := 0, strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		p := Problem{File: l.file, Line: line, Msg: "not valid YAML: " + msg + " (the mistake may be on an earlier line)",
			Key: "config.not_yaml", Args: []any{"V1", msg}}
		if ls := splitLines(data); line > 0 && line <= len(ls) {
			p.Source = ls[line-1]
			p.Col = len(p.Source) - len(strings.TrimLeft(p.Source, " \t")) + 1
		}
		l.problems = append(l.problems, p)
		return nil
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		l.addK(l.file, 0, "", "config.file_empty", "the file is empty; start from examples/school.yaml")
		return nil
	}
	doc := root.Content[0]
	s := &School{}
	l.lines[""] = doc.Line
	if resolve(doc).Kind != yaml.MappingNode {
		l.addK(l.file, doc.Line, "", "config.not_mapping_root", "the file must be a mapping of fields (id:, name:, classes: ...), found %s", kindName(doc))
		return nil
	}
	d := &decoder{l: l, homes: fieldHomes(reflect.TypeOf(School{}))}
	d.decode(doc, reflect.ValueOf(s).Elem(), "")
	nYAML := len(s.People)
	for i := range nYAML {
		l.origins = append(l.origins, origin{file: l.file, index: i})
	}
	if l.roster != "" {
		s.Roster = l.roster
	}
	if s.Roster != "" {
		l.importRoster(s)
	}
	l.validate(s)
	return s
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// decoder turns a yaml.Node tree into School values, recording each field's line and
// collecting every problem instead of stopping at the first.
type decoder struct {
	l     *loader
	homes map[string][]string // field name -> the paths where it is valid
}

var textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) phrase {
	switch resolve(n).Kind {
	case yaml.MappingNode:
		return phrase{key: "config.kind_mapping", en: "a mapping (key: value lines)"}
	case yaml.SequenceNode:
		return phrase{key: "config.kind_list", en: "a list"}
	case yaml.ScalarNode:
		return phrase{key: "config.kind_value", kv: []any{"V1", n.Value}, en: fmt.Sprintf("the value %q", n.Value)}
	}
	return phrase{key: "config.kind_other", en: "something else"}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) bad(path string, n *yaml.Node, format string, args ...any) {
	d.badK(path, n, "", format, args...)
}

// badK is bad with a catalog message key (see loader.addK).
func (d *decoder) badK(path string, n *yaml.Node, key, format string, args ...any) {
	d.l.failed[path] = true
	line := n.Line
	if k, ok := d.l.lines[path]; ok && n.Kind != yaml.ScalarNode {
		// A mapping or list value starts on the line below its key; point at the key.
		line = k
	}
	d.l.addK(d.l.file, line, path, key, format, args...)
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if _, ok := d.l.lines[path]; !ok {
		d.l.lines[path] = n.Line
	}
	if isNull(n) {
		return // an empty value keeps the default
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
		return
	}
	if reflect.PointerTo(v.Type()).Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode {
			d.badK(path, n, "config.expected_value", "expected a single value, found %s", kindName(n))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			var ve *valueError
			if errors.As(err, &ve) {
				d.badK(path, n, ve.key, ve.format, ve.args...)
			} else {
				d.bad(path, n, "%v", err)
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.badK(path, n, "config.expected_value", "expected a single value, found %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
			d.badK(path, n, "config.not_bool", "%s is not true or false", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.Decode(&i) != nil {
			d.badK(path, n, "config.not_int", "%s is not a whole number", describe(n))
			return
		}
		v.SetInt(int64(i))
	default:
		panic(fmt.Sprintf("config: no decoder for %s at %s", v.Type(), path)) // a type added to school.go without support here
	}
}

func describe(n *yaml.Node) phrase {
	if n.Kind == yaml.ScalarNode {
		return phrase{en: strconv.Quote(n.Value)}
	}
	return kindName(n)
}

// pairs walks a mapping's key/value pairs, reporting duplicate keys and resolving
// YAML merge keys (<<: *anchor) so anchors shared between classes work.
func (d *decoder) pairs(n *yaml.Node, path string, each func(key, val *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			val = resolve(val)
			switch val.Kind {
			case yaml.MappingNode:
				d.pairs(val, path, each)
			case yaml.SequenceNode:
				for _, m := range val.Content {
					if m = resolve(m); m.Kind == yaml.MappingNode {
						d.pairs(m, path, each)
					}
				}
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.badK(path, k, "config.key_not_plain", "a key must be a plain name, found %s", kindName(k))
			continue
		}
		if first, ok := seen[k.Value]; ok {
			d.badK(join(path, k.Value), k, "config.key_twice", "%s is given twice (first on line %d); keep one", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		each(k, val)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.badK(path, n, "config.expected_mapping", "expected a mapping (key: value lines), found %s", kindName(n))
		return
	}
	fields := yamlFields(v.Type())
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	d.pairs(n, path, func(k, val *yaml.Node) {
		p := join(path, k.Value)
		idx, ok := fields[k.Value]
		if !ok {
			if c := closest(k.Value, names); c != "" {
				// Checks that the field is missing would only restate this typo.
				d.l.failed[join(path, c)] = true
			}
			hint := didYouMean(k.Value, names)
			if hint.en == "" {
				if homes := d.homes[k.Value]; len(homes) > 0 && len(homes) <= 2 {
					under := joinOr(homes)
					hint = phrase{key: "config.belongs_under", kv: []any{"V1", k.Value, "V2", under},
						en: fmt.Sprintf(" (%s belongs under %s)", k.Value, under)}
				}
			}
			if hint.en == "" {
				known := strings.Join(names, ", ")
				hint = phrase{key: "config.known_fields", kv: []any{"V1", known}, en: "; known fields here: " + known}
			}
			d.badK(p, k, "config.unknown_field", "unknown field %q%s", k.Value, hint)
			return
		}
		d.l.lines[p] = k.Line
		d.decode(val, v.Field(idx), p)
	})
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.badK(path, n, "config.expected_mapping", "expected a mapping (key: value lines), found %s", kindName(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	d.pairs(n, path, func(k, val *yaml.Node) {
		p := join(path, k.Value)
		d.l.lines[p] = k.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, p)
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	})
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	switch n.Kind {
	case yaml.SequenceNode:
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.l.lines[p] = resolve(item).Line
			d.decode(item, s.Index(i), p)
		}
		v.Set(s)
	case yaml.ScalarNode:
		// A single value where a list of values is expected ("roles: teacher") is
		// unambiguous, so take it as a list of one.
		if k := v.Type().Elem().Kind(); k == reflect.Struct || k == reflect.Pointer {
			d.badK(path, n, "config.expected_list", "expected a list (lines starting with -), found %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		d.decode(n, s.Index(0), path+"[0]")
		v.Set(s)
	default:
		d.badK(path, n, "config.expected_list", "expected a list (lines starting with -), found %s", kindName(n))
	}
}

// yamlFields maps the yaml names of a struct's fields to their indexes.
func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = i
	}
	return out
}

// fieldHomes lists, for every field name in the schema, the paths of the mappings it
// belongs in ("checkin" -> "classes[].schedule"), to point a misplaced field home.
func fieldHomes(t reflect.Type) map[string][]string {
	homes := map[string][]string{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			if t.Kind() == reflect.Slice {
				path += "[]"
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(textUnmarshaler) {
			return
		}
		where := path
		if where == "" {
			where = "the top level"
		}
		for name, i := range yamlFields(t) {
			homes[name] = append(homes[name], where)
			walk(t.Field(i).Type, join(path, name))
		}
	}
	walk(t, "")
	for _, h := range homes {
		sort.Strings(h)
	}
	return homes
}

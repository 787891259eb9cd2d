package config

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ReadRoster reads a roster CSV on its own (without a school file), for tools that
// rewrite it. Problems of form name the file and line; references to classes and
// mentors are not checked here (LoadWithRoster does that).
func ReadRoster(path string) ([]*Person, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read roster %s: %w", path, unwrapPath(err))
	}
	l := &loader{file: path, lines: map[string]int{}, failed: map[string]bool{}, files: []string{path}}
	people, _ := l.readRoster(path, data)
	if len(l.problems) > 0 {
		return nil, l.problems
	}
	return people, nil
}

// RosterPath returns the roster CSV a school file names, resolved against the file's
// directory, or "" when it names none.
func RosterPath(schoolFile string, s *School) string {
	if s.Roster == "" {
		return ""
	}
	if filepath.IsAbs(s.Roster) {
		return s.Roster
	}
	return filepath.Join(filepath.Dir(schoolFile), s.Roster)
}

// LoadWithRoster loads the school file at path as Load does, but reads its roster CSV
// from roster instead of the file it names: a tool checks a new roster this way before
// it replaces the old one.
func LoadWithRoster(path, roster string) (*School, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Problems{unreadable(path, err)}
	}
	abs, err := filepath.Abs(roster)
	if err != nil {
		return nil, fmt.Errorf("roster %s: %w", roster, err)
	}
	l := &loader{file: path, lines: map[string]int{}, failed: map[string]bool{}, files: []string{path}, roster: abs}
	return l.finish(l.parse(data))
}

// WriteRoster writes people as a roster CSV with every column of RosterColumns.
func WriteRoster(w io.Writer, people []*Person) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RosterColumns); err != nil {
		return fmt.Errorf("write roster: %w", err)
	}
	for _, p := range people {
		roles := make([]string, len(p.Roles))
		for i, r := range p.Roles {
			roles[i] = string(r)
		}
		left := ""
		if !p.Left.IsZero() {
			left = p.Left.String()
		}
		rec := []string{p.ID, p.Name, strings.Join(roles, ";"), strings.Join(p.Classes, ";"), p.Mentor,
			string(p.Level), p.Discord, p.Slack, p.Locale, p.Email, left}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write roster: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write roster: %w", err)
	}
	return nil
}

package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/kring-school/kring/bot/config"
)

// personList names people as "id (role)" for a report line.
func personList(ps []*config.Person) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		role := ""
		if len(p.Roles) > 0 {
			role = string(p.Roles[0])
		}
		names[i] = p.ID + " (" + role + ")"
	}
	return strings.Join(names, ", ")
}

func classList(cs []*config.Class) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.ID
	}
	return strings.Join(names, ", ")
}

// printCoverage writes, per platform the school is set up for, who has no id there and
// which classes have no channel, and who no platform reaches at all.
func (u *ui) printCoverage(w io.Writer, s *config.School) {
	platforms := s.Platforms()
	for _, pl := range platforms {
		c := s.CoverageOf(pl)
		if len(c.NoID) > 0 {
			fmt.Fprintln(w, u.L.N("cli.coverage.no_id", len(c.NoID), "Platform", pl, "Total", len(s.People), "People", personList(c.NoID)))
		}
		if len(c.NoChannel) > 0 {
			fmt.Fprintln(w, u.L.N("cli.coverage.no_channel", len(c.NoChannel), "Platform", pl, "Classes", classList(c.NoChannel)))
		}
	}
	if len(platforms) > 0 {
		if none := s.Unreachable(platforms); len(none) > 0 {
			fmt.Fprintln(w, u.L.N("cli.coverage.unreachable", len(none), "People", personList(none)))
		}
	}
}

// logCoverage logs the same for the platforms this process connects.
func logCoverage(log *slog.Logger, s *config.School, platforms []string) {
	for _, pl := range platforms {
		c := s.CoverageOf(pl)
		if len(c.NoID) > 0 {
			ids := make([]string, len(c.NoID))
			for i, p := range c.NoID {
				ids[i] = p.ID
			}
			log.Warn("people without an id on this platform", "on", pl, "count", len(c.NoID), "people", strings.Join(ids, ","))
		}
		if len(c.NoChannel) > 0 {
			log.Warn("classes without a channel on this platform", "on", pl, "classes", classList(c.NoChannel))
		}
	}
	if none := s.Unreachable(platforms); len(none) > 0 {
		ids := make([]string, len(none))
		for i, p := range none {
			ids[i] = p.ID
		}
		log.Error("people no connected platform reaches: Kring cannot message them", "count", len(none), "people", strings.Join(ids, ","))
	}
}

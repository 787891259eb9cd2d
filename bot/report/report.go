// Package report builds the period report of one pupil, for the progress conversation
// with pupil and parents: mood over the period (a chart and a sparkline), check-ins
// answered, missed and away, goals and how they went, help requests, the pupil's own
// words (their answers to the open question), their questions to teachers, the nods and
// messages between mentor and pupil, and the mentor's notes. It renders the same content as a
// self-contained, printable HTML page (html/template, the chart embedded as a data
// URI) and as Markdown.
//
// Reading is pipelined: every pupil's indexes and every class's help index in one
// round trip, every record in a second, however many pupils (Load). Access is the
// caller's to check with Allowed before loading, and each report is audited (Audit).
package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/chart"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/safeguard"
	"github.com/kring-school/kring/bot/store"
)

// Data is what one pupil's report shows.
type Data struct {
	Pupil *config.Person
	Class *config.Class
	// School is the school file the data was read with: its roster names the people of
	// nods, messages and notes, and its policy says whether staff see anonymous
	// questions. Nil: ids stand for names, and staff see no anonymous question.
	School *config.School
	// Mentor is the pupil's mentor, nil if none is on the roster.
	Mentor   *config.Person
	From, To config.Date
	// Days are the class's school days of the period with the mood of each (0: none).
	Days []chart.Point
	// CheckIns are the period's check-in records, oldest first.
	CheckIns []record.CheckIn
	// Help are the period's help requests, oldest first.
	Help []record.HelpRequest
	// Questions are the pupil's questions to teachers asked in the period, or before
	// it and still waiting for an answer, oldest first; anonymous ones included (who
	// may see those is the renderer's to decide).
	Questions []record.Question
	// Sensitive reports whether a pupil's text holds a safeguarding phrase. Such a text
	// reached the mentor and the care contacts as an alert; the report is read with the
	// parents (who may be what the pupil wrote about), so it is withheld there, with a
	// line saying so. Load sets it from the built-in phrases and the school's own;
	// LoadSummary (a digest, read by the mentor who had the alert) does not. Nil:
	// nothing is withheld.
	Sensitive func(text string) bool
	// Nods, Relays and Notes are the mentor's nods, the messages relayed between
	// mentor and pupil (both ways), and the mentor's notes, of the period, oldest first.
	Nods, Relays, Notes []record.Note
	// OpenAlerts are the concerns of each safeguarding alert about the pupil that no
	// staff member has handled yet (profile fields alert:ID), whatever the period.
	OpenAlerts []string
}

// ErrNotAllowed is returned by Allowed when the viewer may not see the pupil's report.
var ErrNotAllowed = errors.New("not allowed to see this pupil's check-ins")

// Allowed reports whether viewer may read pupil's report: the pupil themselves, their
// mentor, the school's care contacts, and the teachers of the pupil's class when the
// school's policy teachers_see_checkins allows it. An admin is not allowed by that
// role alone: access requests go through the export in docs/privacy.md.
func Allowed(s *config.School, viewer, pupil *config.Person) error {
	switch {
	case viewer == nil || pupil == nil:
		return ErrNotAllowed
	case !pupil.Has(config.Pupil):
		return fmt.Errorf("%s is not a pupil", pupil.ID)
	case viewer.ID == pupil.ID, viewer.ID == pupil.Mentor, viewer.Has(config.Care):
		return nil
	case viewer.Has(config.Teacher) && viewer.InClass(pupil.Class()) && s.Policy.TeachersSeeCheckins:
		return nil
	}
	return fmt.Errorf("%s may not see %s: %w (only the pupil, their mentor, the care contacts, and teachers of the class when policy.teachers_see_checkins is true)", viewer.ID, pupil.ID, ErrNotAllowed)
}

// Load reads the period's records of every pupil in two round trips: all indexes in one
// pipeline, then all records in a second one. The digest reads through it too, so a new
// kind of record joins those two pipelines rather than adding a third.
func Load(ctx context.Context, st *store.Store, school *config.School, pupils []*config.Person, from, to config.Date) ([]*Data, error) {
	return load(ctx, st, school, pupils, from, to, true)
}

// LoadSummary is Load without the nods, relayed messages and mentor notes, which a
// mentor's digest does not show: the same two round trips, a third less to decode.
func LoadSummary(ctx context.Context, st *store.Store, school *config.School, pupils []*config.Person, from, to config.Date) ([]*Data, error) {
	return load(ctx, st, school, pupils, from, to, false)
}

func load(ctx context.Context, st *store.Store, school *config.School, pupils []*config.Person, from, to config.Date, exchanges bool) ([]*Data, error) {
	if to.Before(from) {
		return nil, fmt.Errorf("the period ends (%s) before it starts (%s)", to, from)
	}
	var mentorKinds []record.Kind
	var sensitive func(string) bool
	if exchanges {
		mentorKinds = record.MentorKinds()
		lists, err := safeguard.Builtin()
		if err != nil {
			return nil, fmt.Errorf("safeguarding phrases: %w", err)
		}
		m, err := safeguard.New(lists, school.Policy.AlertWords)
		if err != nil {
			return nil, fmt.Errorf("safeguarding phrases: %w", err)
		}
		sensitive = func(text string) bool { return len(m.Match(text)) > 0 }
	}
	rdb := st.Client()
	out := make([]*Data, len(pupils))
	classes := map[string]*config.Class{}
	for i, p := range pupils {
		c, ok := school.Class(p.Class())
		if !ok {
			return nil, fmt.Errorf("pupil %s has no class in the school file", p.ID)
		}
		classes[c.ID] = c
		d := &Data{Pupil: p, Class: c, School: school, From: from, To: to, Sensitive: sensitive}
		if m, ok := school.Person(p.Mentor); ok {
			d.Mentor = m
		}
		out[i] = d
	}

	pipe := rdb.Pipeline()
	idx := make([]*redis.StringSliceCmd, len(pupils))
	lo, hi := strconv.FormatInt(bot.DayNumber(from), 10), strconv.FormatInt(bot.DayNumber(to), 10)
	profiles := make([]*redis.MapStringStringCmd, len(pupils))
	for i, p := range pupils {
		idx[i] = pipe.ZRangeByScore(ctx, st.Key("cix:"+p.ID), &redis.ZRangeBy{Min: lo, Max: hi})
		profiles[i] = pipe.HGetAll(ctx, st.PersonKey(p.ID))
	}
	helpIdx := map[string]*redis.StringSliceCmd{}
	for id, c := range classes {
		start, end := span(c, from, to)
		helpIdx[id] = pipe.ZRangeByScore(ctx, st.Key("hq:"+id), &redis.ZRangeBy{Min: strconv.FormatInt(start, 10), Max: strconv.FormatInt(end, 10)})
	}
	questions := record.QuestionKind()
	// A question asked before the period that still waits belongs in it, so the whole
	// index is read (tens a year) and the period is applied once the records are in.
	qaIdx := make([]*redis.StringSliceCmd, len(pupils))
	mentorIdx := make([][]*redis.StringSliceCmd, len(pupils))
	for i, p := range pupils {
		qaIdx[i] = pipe.ZRange(ctx, st.Key(questions.IndexFor(p.ID, "")), 0, -1)
		start, end := span(out[i].Class, from, to)
		by := &redis.ZRangeBy{Min: strconv.FormatInt(start, 10), Max: strconv.FormatInt(end, 10)}
		mentorIdx[i] = make([]*redis.StringSliceCmd, len(mentorKinds))
		for k, kind := range mentorKinds {
			mentorIdx[i][k] = pipe.ZRangeByScore(ctx, st.Key(kind.IndexFor(p.ID, "")), by)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read the period's indexes: %w", err)
	}

	pipe = rdb.Pipeline()
	docs := make([]*redis.SliceCmd, len(pupils))
	helps := make([]*redis.SliceCmd, len(pupils))
	qaDocs := make([]*redis.SliceCmd, len(pupils))
	mentorDocs := make([][]*redis.SliceCmd, len(pupils))
	for i, p := range pupils {
		dates := idx[i].Val()
		if len(dates) > 0 {
			keys := make([]string, len(dates))
			for j, d := range dates {
				keys[j] = st.Key("ci:" + p.ID + ":" + d)
			}
			docs[i] = pipe.MGet(ctx, keys...)
		}
		// Help request ids are PERSON-DATE: only this pupil's are read.
		var keys []string
		for _, id := range helpIdx[out[i].Class.ID].Val() {
			if strings.HasPrefix(id, p.ID+"-") {
				keys = append(keys, st.Key("h:"+id))
			}
		}
		if len(keys) > 0 {
			helps[i] = pipe.MGet(ctx, keys...)
		}
		qaDocs[i] = mgetIDs(ctx, pipe, st, questions, p.ID, qaIdx[i].Val())
		mentorDocs[i] = make([]*redis.SliceCmd, len(mentorKinds))
		for k, kind := range mentorKinds {
			mentorDocs[i][k] = mgetIDs(ctx, pipe, st, kind, p.ID, mentorIdx[i][k].Val())
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read the period's records: %w", err)
	}

	for i, d := range out {
		for f, v := range profiles[i].Val() {
			if strings.HasPrefix(f, openAlertPrefix) && v != "" {
				d.OpenAlerts = append(d.OpenAlerts, v)
			}
		}
		sort.Strings(d.OpenAlerts)
		moods := map[string]int{}
		if docs[i] != nil {
			for _, v := range docs[i].Val() {
				s, ok := v.(string)
				if !ok {
					continue // expired between the two reads
				}
				var c record.CheckIn
				if err := json.Unmarshal([]byte(s), &c); err != nil {
					return nil, fmt.Errorf("decode a check-in of %s: %w", d.Pupil.ID, err)
				}
				d.CheckIns = append(d.CheckIns, c)
				if c.Mood > 0 {
					moods[c.Date] = c.Mood
				}
			}
		}
		if helps[i] != nil {
			for _, v := range helps[i].Val() {
				s, ok := v.(string)
				if !ok {
					continue
				}
				var h record.HelpRequest
				if err := json.Unmarshal([]byte(s), &h); err != nil {
					return nil, fmt.Errorf("decode a help request of %s: %w", d.Pupil.ID, err)
				}
				if h.Person == d.Pupil.ID {
					d.Help = append(d.Help, h)
				}
			}
		}
		start, end := span(d.Class, from, to)
		if err := decodeEach(qaDocs[i], func(q record.Question) {
			created := q.Created.UnixMilli()
			if created <= end && (created >= start || q.Waiting()) {
				d.Questions = append(d.Questions, q)
			}
		}); err != nil {
			return nil, fmt.Errorf("decode a question of %s: %w", d.Pupil.ID, err)
		}
		for k, dst := range []*[]record.Note{&d.Nods, &d.Relays, &d.Notes}[:len(mentorKinds)] {
			if err := decodeEach(mentorDocs[i][k], func(n record.Note) { *dst = append(*dst, n) }); err != nil {
				return nil, fmt.Errorf("decode a %s of %s: %w", mentorKinds[k].Name, d.Pupil.ID, err)
			}
			sort.SliceStable(*dst, func(a, b int) bool { return (*dst)[a].Time.Before((*dst)[b].Time) })
		}
		sort.SliceStable(d.Questions, func(a, b int) bool { return d.Questions[a].Created.Before(d.Questions[b].Created) })
		sort.Slice(d.CheckIns, func(a, b int) bool { return d.CheckIns[a].Date < d.CheckIns[b].Date })
		sort.Slice(d.Help, func(a, b int) bool { return d.Help[a].Created.Before(d.Help[b].Created) })
		d.Days = chart.Series(chart.SchoolDays(d.Class, from, to), moods)
	}
	return out, nil
}

// span is the period in Unix milliseconds, from the start of from to the end of to in
// the class's time zone: the unit of the help, question and mentor indexes.
func span(c *config.Class, from, to config.Date) (start, end int64) {
	return from.On(c.Location).UnixMilli(), to.AddDays(1).On(c.Location).UnixMilli() - 1
}

// mgetIDs queues the read of owner's records of kind named by ids (nil when none).
func mgetIDs(ctx context.Context, pipe redis.Pipeliner, st *store.Store, kind record.Kind, owner string, ids []string) *redis.SliceCmd {
	if len(ids) == 0 {
		return nil
	}
	keys := make([]string, len(ids))
	for j, id := range ids {
		keys[j] = st.Key(kind.KeyFor(owner, id))
	}
	return pipe.MGet(ctx, keys...)
}

// decodeEach hands each JSON document of an MGET to add; a record that expired between
// the index read and the MGET is nil there and is skipped.
func decodeEach[T any](cmd *redis.SliceCmd, add func(T)) error {
	if cmd == nil {
		return nil
	}
	for _, v := range cmd.Val() {
		s, ok := v.(string)
		if !ok {
			continue
		}
		var x T
		if err := json.Unmarshal([]byte(s), &x); err != nil {
			return err
		}
		add(x)
	}
	return nil
}

// openAlertPrefix is safeguard.ProfileAlertPrefix (bot/safeguard imports the dialog
// contract this package need not).
const openAlertPrefix = "alert:"

// Audit records that viewer produced the report of d, in the audit log of the day.
func Audit(ctx context.Context, st *store.Store, viewer *config.Person, d *Data, now time.Time) error {
	doc, err := json.Marshal(record.Audit{Time: now, Actor: viewer.ID, Action: "report", Subject: d.Pupil.ID,
		Detail: "period report " + d.From.String() + " to " + d.To.String()})
	if err != nil {
		return err
	}
	if err := st.AppendAudit(ctx, now, string(doc)); err != nil {
		return fmt.Errorf("audit the report of %s: %w", d.Pupil.ID, err)
	}
	return nil
}

package config

import "time"

// DayNumber counts days since 1970-01-01 (for sorting dates in Redis).
func DayNumber(d Date) int64 {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// ClassActorPrefix starts the id of a class's own actor.
const ClassActorPrefix = "@"

// ClassActor is the stand-in person a once-per-class job or timer acts as: it has the
// class's id behind ClassActorPrefix, the class's name, no role, and belongs to the
// class, so a per-class conversation has its own state and version like a person.
func ClassActor(c *Class) *Person {
	return &Person{ID: ClassActorPrefix + c.ID, Name: c.Name, Classes: []string{c.ID}, Locale: c.Locale}
}

// IsClassActor reports whether id names a class's actor, and which class.
func IsClassActor(id string) (string, bool) {
	if len(id) > 1 && id[:1] == ClassActorPrefix {
		return id[1:], true
	}
	return "", false
}

// AddSchoolTime returns the moment d of school time after t: only the hours between
// DayStart and DayEnd of the class's school days count (weekends and holidays are
// skipped), in the class's time zone, daylight saving included. A t outside school
// hours starts counting at the next school-day start.
func (c *Class) AddSchoolTime(t time.Time, d time.Duration) time.Time {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	day := DateOf(t)
	// Enough for a summer holiday and then some; a schedule without school days ends here.
	for i := 0; i < 400; i++ {
		if c.IsSchoolDay(day) {
			start := c.Schedule.DayStart.On(day, loc)
			end := c.Schedule.DayEnd.On(day, loc)
			from := t
			if from.Before(start) {
				from = start
			}
			if from.Before(end) {
				if left := end.Sub(from); d <= left {
					return from.Add(d)
				} else {
					d -= left
				}
			}
		}
		day = day.AddDays(1)
		t = day.On(loc)
	}
	return t
}

// SchoolTimeBetween returns how much school time (the hours between DayStart and DayEnd
// of school days, holidays and weekends skipped) lies between from and to, in the
// class's time zone; zero when to is not after from.
func (c *Class) SchoolTimeBetween(from, to time.Time) time.Duration {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	if !to.After(from) {
		return 0
	}
	from, to = from.In(loc), to.In(loc)
	var total time.Duration
	last := DateOf(to)
	// 400 days at most, as AddSchoolTime: enough for any question that is still open.
	for day, i := DateOf(from), 0; !last.Before(day) && i < 400; day, i = day.AddDays(1), i+1 {
		if !c.IsSchoolDay(day) {
			continue
		}
		start, end := c.Schedule.DayStart.On(day, loc), c.Schedule.DayEnd.On(day, loc)
		if from.After(start) {
			start = from
		}
		if to.Before(end) {
			end = to
		}
		if end.After(start) {
			total += end.Sub(start)
		}
	}
	return total
}

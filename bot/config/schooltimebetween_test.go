package config

import (
	"testing"
	"time"
)

func TestSchoolTimeBetween(t *testing.T) {
	s := &School{ID: "t", Classes: []*Class{{ID: "2B", Schedule: Schedule{Holidays: []Holiday{
		{Name: "studiedag", From: Date{2026, 11, 30}, To: Date{2026, 11, 30}}}}}}}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	c, _ := s.Class("2B")
	loc := c.Location
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, loc) }
	for _, tc := range []struct {
		from, to time.Time
		want     time.Duration
	}{
		{at(11, 23, 10, 0), at(11, 23, 12, 30), 150 * time.Minute},                            // within a day
		{at(11, 23, 7, 0), at(11, 23, 9, 0), 30 * time.Minute},                                // before school starts
		{at(11, 27, 15, 0), at(12, 1, 10, 0), 90*time.Minute + 90*time.Minute},                // weekend and the Monday holiday skipped
		{at(11, 23, 10, 0), at(11, 24, 10, 0), 6*time.Hour + 30*time.Minute + 90*time.Minute}, // overnight
		{at(11, 23, 12, 0), at(11, 23, 11, 0), 0},                                             // backwards
	} {
		if got := c.SchoolTimeBetween(tc.from, tc.to); got != tc.want {
			t.Errorf("%s → %s = %s, want %s", tc.from, tc.to, got, tc.want)
		}
		// The inverse of AddSchoolTime.
		if tc.want > 0 {
			if back := c.AddSchoolTime(tc.from, tc.want); c.SchoolTimeBetween(tc.from, back) != tc.want {
				t.Errorf("AddSchoolTime and SchoolTimeBetween disagree from %s", tc.from)
			}
		}
	}
}

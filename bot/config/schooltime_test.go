package config

import (
	"testing"
	"time"
)

func schoolClass(t *testing.T) *Class {
	t.Helper()
	s := &School{ID: "x", Classes: []*Class{{ID: "2B", Schedule: Schedule{Holidays: []Holiday{
		{Name: "kerst", From: Date{2026, 12, 21}, To: Date{2027, 1, 1}},
	}}}}}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	c, _ := s.Class("2B")
	return c
}

func TestAddSchoolTime(t *testing.T) {
	c := schoolClass(t)
	ams := c.Location
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, ams) }
	cases := []struct {
		name     string
		from     time.Time
		add      time.Duration
		want     time.Time
		wantZone string
	}{
		{"same day", at(2026, 11, 23, 9, 0), 2 * time.Hour, at(2026, 11, 23, 11, 0), "CET"},
		{"before school starts", at(2026, 11, 23, 6, 0), time.Hour, at(2026, 11, 23, 9, 30), "CET"},
		{"over the weekend", at(2026, 11, 27, 15, 0), 4 * time.Hour, at(2026, 11, 30, 11, 0), "CET"},
		{"asked on Saturday", at(2026, 11, 28, 12, 0), 30 * time.Minute, at(2026, 11, 30, 9, 0), "CET"},
		{"into the Christmas holiday", at(2026, 12, 18, 16, 0), time.Hour, at(2027, 1, 4, 9, 0), "CET"},
		// The clocks go back on Sunday 25 October 2026: Monday's 09:00 is winter time.
		{"over the end of summer time", at(2026, 10, 23, 16, 0), time.Hour, at(2026, 10, 26, 9, 0), "CET"},
		// And forward on Sunday 29 March 2026.
		{"over the start of summer time", at(2026, 3, 27, 16, 0), time.Hour, at(2026, 3, 30, 9, 0), "CEST"},
		{"exactly the rest of the day", at(2026, 11, 23, 15, 30), time.Hour, at(2026, 11, 23, 16, 30), "CET"},
	}
	for _, tc := range cases {
		got := c.AddSchoolTime(tc.from, tc.add)
		if !got.Equal(tc.want) {
			t.Errorf("%s: %s + %s = %s, want %s", tc.name, tc.from, tc.add, got, tc.want)
		}
		if z, _ := got.Zone(); z != tc.wantZone {
			t.Errorf("%s: zone %s, want %s", tc.name, z, tc.wantZone)
		}
	}
}

func TestClassActor(t *testing.T) {
	c := schoolClass(t)
	a := ClassActor(c)
	if id, ok := IsClassActor(a.ID); !ok || id != "2B" || a.Class() != "2B" || len(a.Roles) != 0 {
		t.Errorf("class actor = %+v", a)
	}
	if _, ok := IsClassActor("anna"); ok {
		t.Error("anna is no class actor")
	}
}

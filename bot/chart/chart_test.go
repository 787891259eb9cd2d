package chart

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/config"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the example charts in docs/img")

func class(t testing.TB) *config.Class {
	t.Helper()
	s := &config.School{ID: "t", Classes: []*config.Class{{ID: "2B", Schedule: config.Schedule{
		Holidays: []config.Holiday{{Name: "voorjaarsvakantie", From: date(t, "2027-02-13"), To: date(t, "2027-02-21")}},
	}}}}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s.Classes[0]
}

func date(t testing.TB, s string) config.Date {
	t.Helper()
	d, err := config.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var labels = Labels{
	Title: "Stemming per schooldag",
	Moods: [5]string{"1 slecht", "2", "3", "4", "5 top"},
}

func TestSchoolDaysLeaveOutWeekendsAndHolidays(t *testing.T) {
	days := SchoolDays(class(t), date(t, "2027-02-11"), date(t, "2027-02-24"))
	var got []string
	for _, d := range days {
		got = append(got, d.String())
	}
	// Thu 11, Fri 12, holiday 13-21 (a whole week), Mon 22 .. Wed 24.
	want := "2027-02-11 2027-02-12 2027-02-22 2027-02-23 2027-02-24"
	if strings.Join(got, " ") != want {
		t.Errorf("school days %v, want %s", got, want)
	}
}

func TestSparkline(t *testing.T) {
	days := SchoolDays(class(t), date(t, "2027-03-01"), date(t, "2027-03-12"))
	pts := Series(days, map[string]int{"2027-03-01": 1, "2027-03-02": 2, "2027-03-03": 3, "2027-03-04": 4, "2027-03-05": 5, "2027-03-09": 7, "2027-03-12": 3})
	if got, want := Sparkline(pts), "▁▃▄▆█····▄"; got != want {
		t.Errorf("sparkline %q, want %q (a mood of 7 is no mood)", got, want)
	}
	if Sparkline(nil) != "" {
		t.Error("empty sparkline")
	}
}

func TestFileNameNamesNoPupil(t *testing.T) {
	if got := FileName("mood", date(t, "2027-03-01"), date(t, "2027-03-26")); got != "mood-2027-03-01-2027-03-26.png" {
		t.Errorf("file name %q", got)
	}
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got != (image.Point{900, 520}) {
		t.Fatalf("size %v, want 900×520", got)
	}
	return img
}

// coloured reports whether c is one of the data colours (blue, sky blue, vermillion),
// not ink, grid or background.
func coloured(c color.Color) bool {
	r, _, b, _ := c.RGBA()
	r, b = r>>8, b>>8
	return (b > r+60) || (r > b+80 && r > 150)
}

func column(img image.Image, x int) (n int) {
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		if coloured(img.At(x, y)) {
			n++
		}
	}
	return n
}

func TestMoodChartIsDrawn(t *testing.T) {
	days := SchoolDays(class(t), date(t, "2027-03-01"), date(t, "2027-03-26"))
	moods := map[string]int{}
	for i, d := range days {
		moods[d.String()] = 1 + (i*3)%5
	}
	b, err := Mood(Series(days, moods), labels)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	n := 0
	for x := 0; x < 900; x++ {
		n += column(img, x)
	}
	if n < 2000 {
		t.Errorf("only %d coloured pixels: the chart looks empty", n)
	}
	if _, err := Mood(nil, labels); err == nil {
		t.Error("a chart of no days was drawn")
	}
}

// TestGapsAreNotDrawn: ten school days, a mood on the first and the last only. Nothing
// is drawn between them: no line bridges the missing days, no point stands for them.
func TestGapsAreNotDrawn(t *testing.T) {
	days := SchoolDays(class(t), date(t, "2027-03-01"), date(t, "2027-03-12"))
	gappy := map[string]int{days[0].String(): 5, days[9].String(): 5}
	full := map[string]int{}
	for _, d := range days {
		full[d.String()] = 5
	}
	mid := func(moods map[string]int) int {
		b, err := Mood(Series(days, moods), labels)
		if err != nil {
			t.Fatal(err)
		}
		img := decode(t, b)
		n := 0
		for x := 430; x < 520; x++ { // the middle of the plot: days 4 and 5
			n += column(img, x)
		}
		return n
	}
	if n := mid(full); n == 0 {
		t.Fatal("control: a full week draws nothing in the middle; the probe is wrong")
	}
	if n := mid(gappy); n != 0 {
		t.Errorf("%d coloured pixels where the pupil gave no mood", n)
	}
	// Also in the data: the line's runs and the moving average skip missing days.
	pts := Series(days, map[string]int{days[0].String(): 2, days[1].String(): 4, days[3].String(): 3, days[9].String(): 5})
	if avg := movingAverage(pts, 5); avg[0] != 0 || avg[2] != 0 || avg[3] != 3 || avg[4] != 3 || avg[8] != 0 || avg[9] != 0 {
		t.Errorf("moving average %v", avg)
	}
	lines, err := segments([]float64{2, 4, 0, 3, 3, 0}, blue, 1)
	if err != nil || len(lines) != 2 || len(lines[0].XYs) != 2 || lines[1].XYs[0].X != 3 {
		t.Errorf("segments %v %v", lines, err)
	}
}

// TestDocExamples keeps one rendered example per chart in docs/img (rewrite them with
// go test ./bot/chart -run TestDocExamples -update-docs).
func TestDocExamples(t *testing.T) {
	c := class(t)
	c.Schedule.Holidays = append(c.Schedule.Holidays,
		config.Holiday{Name: "herfstvakantie", From: date(t, "2026-10-17"), To: date(t, "2026-10-25")},
		config.Holiday{Name: "kerstvakantie", From: date(t, "2026-12-19"), To: date(t, "2027-01-03")},
		config.Holiday{Name: "meivakantie", From: date(t, "2027-04-24"), To: date(t, "2027-05-09")})
	year := SchoolDays(c, date(t, "2026-09-01"), date(t, "2027-07-09"))
	month := SchoolDays(c, date(t, "2027-03-01"), date(t, "2027-03-26"))
	examples := map[string][]Point{
		"mood-chart.png":      Series(month, exampleMoods(month, 1)),
		"mood-chart-year.png": Series(year, exampleMoods(year, 2)),
	}
	for name, pts := range examples {
		title := "Mood per school day"
		if len(pts) >= LongPeriod {
			title = "Mood per school day (dots); line: average of 5 days"
		}
		b, err := Mood(pts, Labels{Title: title, Moods: [5]string{"1 bad", "2", "3", "4", "5 great"},
			Date: func(d config.Date) string { return d.On(time.UTC).Format("2 Jan") }})
		if err != nil {
			t.Fatal(err)
		}
		decode(t, b)
		path := filepath.Join("..", "..", "docs", "img", name)
		if *updateDocs {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s missing: run go test ./bot/chart -run TestDocExamples -update-docs", path)
		}
		decode(t, old)
	}
}

// exampleMoods is a plausible pupil: mostly 3-4 with slow ups and downs, a bad
// fortnight in the middle, and about one day in eight missed or away.
func exampleMoods(days []config.Date, seed int) map[string]int {
	out := map[string]int{}
	h := uint32(seed*2654435761 + 1)
	for i, d := range days {
		h ^= h << 13
		h ^= h >> 17
		h ^= h << 5
		if h%8 == 0 {
			continue // missed or away
		}
		v := 3.6 + 0.8*math.Sin(float64(i)/9) + float64(int(h%5)-2)*0.45
		if mid := len(days) / 2; i > mid && i < mid+10 {
			v -= 2
		}
		out[d.String()] = min(5, max(1, int(math.Round(v))))
	}
	return out
}

func BenchmarkMoodYear(b *testing.B) {
	c := class(b)
	days := SchoolDays(c, date(b, "2026-09-01"), date(b, "2027-07-09"))
	pts := Series(days, exampleMoods(days, 1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Mood(pts, labels); err != nil {
			b.Fatal(err)
		}
	}
}

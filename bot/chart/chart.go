// Package chart draws a pupil's mood over time: a PNG chart (with gonum.org/v1/plot)
// for chat messages and reports, and a text sparkline for anywhere text goes.
//
// Both put school days on the axis, in order, with weekends and holidays left out (the
// class schedule decides, SchoolDays), so a Friday and the next Monday stand side by
// side. A school day without a mood (missed, away, not answered) is a gap: the chart
// draws nothing there and breaks the line, the sparkline shows Gap. "Did not answer"
// is never drawn as a mood.
//
// The chart is made to be read on a phone at chat size: 900×520 pixels, large type,
// five labelled mood levels, and colours from the Okabe-Ito palette, which stays
// distinct with every common colour-vision deficiency; low moods are also marked by
// shape, not by colour alone. The package knows no language: callers pass the texts.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/kring-school/kring/bot/config"
)

// Point is one school day: its date and the mood given (1-5), or 0 for none.
type Point struct {
	Date config.Date
	Mood int
}

// SchoolDays returns class c's school days from from to to, both included, in order.
func SchoolDays(c *config.Class, from, to config.Date) []config.Date {
	var out []config.Date
	for d := from; !to.Before(d); d = d.AddDays(1) {
		if c.IsSchoolDay(d) {
			out = append(out, d)
		}
	}
	return out
}

// Series puts moods (by date, "YYYY-MM-DD") on the school days; a day without a mood
// from 1 to 5 gets 0.
func Series(days []config.Date, moods map[string]int) []Point {
	out := make([]Point, len(days))
	for i, d := range days {
		m := moods[d.String()]
		if m < 1 || m > 5 {
			m = 0
		}
		out[i] = Point{Date: d, Mood: m}
	}
	return out
}

// Sparks are the sparkline's levels, lowest first; moods 1-5 use five of them.
var Sparks = []rune("▁▂▃▄▅▆▇█")

// moodSpark maps mood 1-5 to a level of Sparks.
var moodSpark = [6]rune{0, '▁', '▃', '▄', '▆', '█'}

// Gap stands for a school day without a mood in a sparkline.
const Gap = '·'

// Sparkline writes one character per school day: the mood's height, or Gap.
func Sparkline(points []Point) string {
	var b strings.Builder
	for _, p := range points {
		if p.Mood >= 1 && p.Mood <= 5 {
			b.WriteRune(moodSpark[p.Mood])
		} else {
			b.WriteRune(Gap)
		}
	}
	return b.String()
}

// FileName names a chart file by what it shows and the period, never by whom: the file
// may be saved, forwarded or listed where the pupil's name must not appear.
func FileName(kind string, from, to config.Date) string {
	return fmt.Sprintf("%s-%s-%s.png", kind, from, to)
}

// Labels are the texts of a mood chart, in the reader's language.
type Labels struct {
	Title string
	// Moods labels the levels 1 to 5 on the vertical axis.
	Moods [5]string
	// Date writes a date under the axis (default: day-month, "2-3").
	Date func(config.Date) string
}

// Size of the PNG: 4.5 × 2.6 inches at 200 dots per inch is 900 × 520 pixels.
const (
	Width  = 4.5 * vg.Inch
	Height = 2.6 * vg.Inch
	DPI    = 200
)

// LongPeriod is the number of school days from which the chart shows daily moods as
// small dots and the trend as a line of the average of the last AverageDays school
// days; below it, a line joins consecutive days. Callers say so in the title.
const LongPeriod = 40

// AverageDays is the window of the moving average, in school days (a school week).
const AverageDays = 5

// Okabe-Ito colours (Okabe & Ito, "Color Universal Design", 2008).
var (
	blue       = color.RGBA{0x00, 0x72, 0xB2, 0xff}
	vermillion = color.RGBA{0xD5, 0x5E, 0x00, 0xff}
	skyBlue    = color.RGBA{0x56, 0xB4, 0xE9, 0xff}
	grid       = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	ink        = color.RGBA{0x22, 0x22, 0x22, 0xff}
)

// Mood draws the points as a PNG chart. Points must be school days in order; the
// chart needs at least one.
func Mood(points []Point, l Labels) ([]byte, error) {
	if len(points) == 0 {
		return nil, fmt.Errorf("mood chart: no school days")
	}
	if l.Date == nil {
		l.Date = func(d config.Date) string { return fmt.Sprintf("%d-%d", d.Day, int(d.Month)) }
	}
	p := plot.New()
	p.Title.Text = l.Title
	p.Title.TextStyle.Font.Size = vg.Points(12)
	p.Title.TextStyle.Color = ink
	p.Title.Padding = vg.Points(6)
	n := len(points)
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.Y.Min, p.Y.Max = 0.5, 5.5
	var yt []plot.Tick
	for i, s := range l.Moods {
		yt = append(yt, plot.Tick{Value: float64(i + 1), Label: s})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Tick.Marker = plot.ConstantTicks(dateTicks(points, l.Date))
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Tick.Label.Font.Size = vg.Points(10)
		a.Tick.Label.Color = ink
		a.Color = ink
		a.Tick.Color = ink
	}
	g := plotter.NewGrid()
	g.Vertical.Width = 0
	g.Horizontal.Color = grid
	g.Horizontal.Width = vg.Points(0.7)
	p.Add(g)

	long := n >= LongPeriod
	if long {
		dots, low := glyphs(points, vg.Points(1.8), vg.Points(2.2))
		dots.Color, low.Color = skyBlue, vermillion
		lines, err := segments(movingAverage(points, AverageDays), blue, vg.Points(2.5))
		if err != nil {
			return nil, err
		}
		p.Add(dots, low)
		for _, s := range lines {
			p.Add(s)
		}
	} else {
		ys := make([]float64, n)
		for i, pt := range points {
			ys[i] = float64(pt.Mood)
		}
		lines, err := segments(ys, blue, vg.Points(2))
		if err != nil {
			return nil, err
		}
		for _, s := range lines {
			p.Add(s)
		}
		dots, low := glyphs(points, vg.Points(3.5), vg.Points(4.5))
		dots.Color, low.Color = blue, vermillion
		p.Add(dots, low)
	}

	c := vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(DPI))
	// A margin, so the outermost tick labels are never cut at the image's edge.
	m := vg.Points(8)
	p.Draw(draw.Crop(draw.New(c), m, -2*m, vg.Points(2), -vg.Points(2)))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("mood chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// dateTicks labels about seven school days, evenly spread from the first.
func dateTicks(points []Point, label func(config.Date) string) []plot.Tick {
	n := len(points)
	step := max(1, int(math.Ceil(float64(n)/7)))
	var ts []plot.Tick
	for i := 0; i < n; i += step {
		ts = append(ts, plot.Tick{Value: float64(i), Label: label(points[i].Date)})
	}
	return ts
}

// glyphs marks each day with a mood: circles for 3 to 5, larger triangles for 1 and 2,
// so low days stand out by shape as well as colour.
func glyphs(points []Point, r, rLow vg.Length) (normal, low *plotter.Scatter) {
	var a, b plotter.XYs
	for i, pt := range points {
		switch {
		case pt.Mood >= 3 && pt.Mood <= 5:
			a = append(a, plotter.XY{X: float64(i), Y: float64(pt.Mood)})
		case pt.Mood == 1 || pt.Mood == 2:
			b = append(b, plotter.XY{X: float64(i), Y: float64(pt.Mood)})
		}
	}
	normal = &plotter.Scatter{XYs: a, GlyphStyle: draw.GlyphStyle{Radius: r, Shape: draw.CircleGlyph{}}}
	low = &plotter.Scatter{XYs: b, GlyphStyle: draw.GlyphStyle{Radius: rLow, Shape: draw.PyramidGlyph{}}}
	return normal, low
}

// segments joins runs of consecutive days that have a value (> 0) with a line; a day
// without one breaks the line.
func segments(ys []float64, c color.Color, w vg.Length) ([]*plotter.Line, error) {
	var out []*plotter.Line
	var run plotter.XYs
	flush := func() error {
		if len(run) >= 2 {
			l, err := plotter.NewLine(run)
			if err != nil {
				return fmt.Errorf("mood chart: line: %w", err)
			}
			l.Color, l.Width = c, w
			out = append(out, l)
		}
		run = nil
		return nil
	}
	for i, y := range ys {
		if y <= 0 {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		run = append(run, plotter.XY{X: float64(i), Y: y})
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// movingAverage is, for each school day, the mean mood of the last w school days,
// when at least half of them (rounded up) have a mood; otherwise 0 (a gap). The line
// shows a trend, not a day's mood, so it may pass a single missed day, but a pupil
// who missed most of a week breaks it.
func movingAverage(points []Point, w int) []float64 {
	out := make([]float64, len(points))
	need := (w + 1) / 2
	for i := range points {
		sum, k := 0, 0
		for j := max(0, i-w+1); j <= i; j++ {
			if m := points[j].Mood; m > 0 {
				sum += m
				k++
			}
		}
		if k >= need && k > 0 {
			out[i] = float64(sum) / float64(k)
		}
	}
	return out
}

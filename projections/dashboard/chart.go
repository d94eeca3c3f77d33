package dashboard

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Point is one value of a series at a time.
type Point struct {
	T time.Time
	V float64
}

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []Point
}

// Chart is a line chart ready for the SVG template: coordinates are
// computed here, the template only prints them.
type Chart struct {
	Title, Unit string
	W, H        int
	Lines       []ChartLine
	// Max is the top of the y axis, a round number at or above every value.
	Max      float64
	MaxLabel string
	Empty    bool
}

// ChartLine is one series as an SVG polyline's points attribute.
type ChartLine struct {
	Name   string
	Points string
	// Class picks the line's colour (c0..c5).
	Class string
}

// plot scales series into a w×h box spanning from..to; points outside the
// span are left out, values below zero are drawn at zero.
func plot(title, unit string, series []Series, from, to time.Time, w, h int) Chart {
	c := Chart{Title: title, Unit: unit, W: w, H: h, Empty: true}
	top := 0.0
	for _, s := range series {
		for _, p := range s.Points {
			if !p.T.Before(from) && !p.T.After(to) {
				top = math.Max(top, p.V)
				c.Empty = false
			}
		}
	}
	c.Max = niceCeil(top)
	c.MaxLabel = strconv.FormatFloat(c.Max, 'g', 4, 64) + " " + unit
	span := to.Sub(from).Seconds()
	if c.Empty || span <= 0 {
		return c
	}
	for i, s := range series {
		var b strings.Builder
		for _, p := range s.Points {
			if p.T.Before(from) || p.T.After(to) {
				continue
			}
			x := float64(w) * p.T.Sub(from).Seconds() / span
			y := float64(h) * (1 - math.Max(p.V, 0)/c.Max)
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%.1f,%.1f", x, y)
		}
		if b.Len() > 0 {
			c.Lines = append(c.Lines, ChartLine{Name: s.Name, Points: b.String(), Class: fmt.Sprintf("c%d", i%6)})
		}
	}
	return c
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten; at least 1.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	exp := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*exp >= v {
			return m * exp
		}
	}
	return 10 * exp
}

package dashboard

import (
	"testing"
	"time"
)

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0, 1}, {0.3, 1}, {1, 1}, {1.1, 2}, {2, 2}, {3, 5}, {7, 10}, {10, 10}, {11, 20}, {180, 200}, {201, 500}, {999, 1000},
	} {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestPlotScalesIntoTheBox(t *testing.T) {
	from := t0
	to := t0.Add(100 * time.Second)
	p := func(sec int, v float64) Point { return Point{T: t0.Add(time.Duration(sec) * time.Second), V: v} }
	for _, tc := range []struct {
		name   string
		series []Series
		empty  bool
		max    float64
		lines  []string
	}{
		{"no data", nil, true, 1, nil},
		{"only outside the window", []Series{{Name: "a", Points: []Point{p(-10, 5), p(200, 5)}}}, true, 1, nil},
		{"one line", []Series{{Name: "a", Points: []Point{p(0, 0), p(50, 5), p(100, 10)}}}, false, 10,
			[]string{"0.0,50.0 50.0,25.0 100.0,0.0"}},
		{"points outside are left out, negatives drawn at zero", []Series{{Name: "a", Points: []Point{p(-5, 1), p(25, -3), p(75, 1.5)}}}, false, 2,
			[]string{"25.0,50.0 75.0,12.5"}},
		{"two lines share the axis", []Series{{Name: "a", Points: []Point{p(0, 40)}}, {Name: "b", Points: []Point{p(100, 20)}}}, false, 50,
			[]string{"0.0,10.0", "100.0,30.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := plot("t", "u", tc.series, from, to, 100, 50)
			if c.Empty != tc.empty || c.Max != tc.max {
				t.Fatalf("empty=%v max=%v, want %v and %v", c.Empty, c.Max, tc.empty, tc.max)
			}
			if len(c.Lines) != len(tc.lines) {
				t.Fatalf("%d lines, want %d", len(c.Lines), len(tc.lines))
			}
			for i, l := range c.Lines {
				if l.Points != tc.lines[i] {
					t.Errorf("line %d points %q, want %q", i, l.Points, tc.lines[i])
				}
			}
		})
	}
}

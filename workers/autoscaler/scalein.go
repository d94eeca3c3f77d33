package autoscaler

import (
	"fmt"
	"time"
)

// inScaleInWindow reports whether t lies in window "HH:MM-HH:MM" (UTC,
// start inclusive, end exclusive). A window may wrap midnight
// ("22:00-06:00"); an empty window is always open, and start == end means
// the whole day.
func inScaleInWindow(window string, t time.Time) (bool, error) {
	if window == "" {
		return true, nil
	}
	start, okStart := minuteOfDay(window, 0)
	end, okEnd := minuteOfDay(window, 6)
	if len(window) != len("HH:MM-HH:MM") || window[5] != '-' || !okStart || !okEnd {
		return false, fmt.Errorf("scale-in window %q is not HH:MM-HH:MM", window)
	}
	t = t.UTC()
	now := t.Hour()*60 + t.Minute()
	switch {
	case start == end:
		return true, nil
	case start < end:
		return start <= now && now < end, nil
	default: // wraps midnight
		return now >= start || now < end, nil
	}
}

// minuteOfDay parses "HH:MM" at s[i:].
func minuteOfDay(s string, i int) (int, bool) {
	if len(s) < i+5 || s[i+2] != ':' {
		return 0, false
	}
	digit := func(j int) (int, bool) {
		c := s[i+j]
		return int(c - '0'), c >= '0' && c <= '9'
	}
	h1, a := digit(0)
	h2, b := digit(1)
	m1, c := digit(3)
	m2, d := digit(4)
	h, m := h1*10+h2, m1*10+m2
	return h*60 + m, a && b && c && d && h < 24 && m < 60
}

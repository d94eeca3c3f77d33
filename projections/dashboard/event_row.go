package dashboard

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/events"
)

// EventRow is one event as the pages list it.
type EventRow struct {
	Seq     uint64
	Time    time.Time
	Subject string
	// Kind is the type without its dev.berth. prefix: app.scaled.
	Kind string
	// Summary is the payload as short key=value pairs.
	Summary string
}

func rowOf(r events.Recorded) EventRow {
	return row(r.Sequence, r.Time, r.Subject, r.Type, r.Data)
}

func row(seq uint64, t time.Time, subject, ceType string, data json.RawMessage) EventRow {
	return EventRow{Seq: seq, Time: t.UTC(), Subject: subject,
		Kind: strings.TrimPrefix(ceType, events.CloudEventsTypePrefix), Summary: summarize(data)}
}

// summarize renders a JSON object's scalar fields as "k=v k=v", leaving
// out what every event of an app repeats.
func summarize(data json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "app" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		var v string
		switch x := m[k].(type) {
		case string:
			if x == "" {
				continue
			}
			v = x
		case float64:
			v = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			v = strconv.FormatBool(x)
		case []any:
			parts := make([]string, 0, len(x))
			for _, p := range x {
				parts = append(parts, fmt.Sprint(p))
			}
			v = "[" + strings.Join(parts, " ") + "]"
		default:
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + "=" + v)
	}
	s := b.String()
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

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

// summarize renders a JSON object's scalar fields as "k=v k=v", nested
// objects as "k.sub=v", leaving out what every event of an app repeats.
func summarize(data json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	delete(m, "app")
	var b strings.Builder
	writeFields(&b, "", m, 0)
	s := b.String()
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:197], "") + "..."
	}
	return s
}

func writeFields(b *strings.Builder, prefix string, m map[string]any, depth int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
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
		case map[string]any:
			if depth == 0 {
				writeFields(b, prefix+k+".", x, depth+1)
			}
			continue
		default:
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(prefix + k + "=" + v)
	}
}

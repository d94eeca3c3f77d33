package dashboard

import (
	"fmt"
	"time"

	"github.com/berth-dev/berth/events"
)

// TimeView is what the time slider shows: the app as it was at At, and the
// events just before and after that moment.
type TimeView struct {
	At            time.Time
	State         Snapshot
	Before, After []EventRow
	// First and Last bound the app's history (the slider's range).
	First, Last time.Time
}

// timeAt folds the app's events recorded at or before at. recs are in
// stream order; around caps the events listed on each side.
func timeAt(app string, recs []events.Recorded, at time.Time, around int) TimeView {
	n := 0
	for n < len(recs) && !recs[n].Time.After(at) {
		n++
	}
	v := TimeView{At: at, State: foldApp(app, recs[:n])}
	v.State = withReasons(v.State, recs[:n])
	if len(recs) > 0 {
		v.First, v.Last = recs[0].Time, recs[len(recs)-1].Time
	}
	for i := max(0, n-around); i < n; i++ {
		v.Before = append(v.Before, rowOf(recs[i]))
	}
	for i := n; i < min(len(recs), n+around); i++ {
		v.After = append(v.After, rowOf(recs[i]))
	}
	return v
}

// withReasons notes on each instance the last failure the log recorded
// for it: why it is not (or no longer) running.
func withReasons(s Snapshot, recs []events.Recorded) Snapshot {
	reasons := map[string]string{}
	for _, r := range recs {
		switch e := r.Event.(type) {
		case events.InstanceExited:
			switch {
			case e.Error != "":
				reasons[e.Instance] = e.Error
			case e.OOMKilled:
				reasons[e.Instance] = fmt.Sprintf("killed for using too much memory (exit %d)", e.ExitCode)
			default:
				reasons[e.Instance] = fmt.Sprintf("exited with code %d", e.ExitCode)
			}
		case events.InstanceHealthFailed:
			reasons[e.Instance] = "health: " + e.Reason
		case events.InstanceUnscheduled:
			if _, ok := reasons[e.Instance]; !ok {
				reasons[e.Instance] = e.Reason
			}
		case events.InstanceScheduled:
			delete(reasons, e.Instance)
		}
	}
	for i := range s.Instances {
		s.Instances[i].Reason = reasons[s.Instances[i].ID]
	}
	return s
}

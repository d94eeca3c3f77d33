package record_test

import (
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/berth-dev/berth/logpipe/record"
)

func TestIDsAreUUIDv7sInCreationOrder(t *testing.T) {
	at := time.Date(2026, 11, 23, 20, 3, 51, 876582000, time.UTC)
	tests := []struct {
		name string
		step time.Duration // between consecutive calls' times
	}{
		{"advancing clock", 3 * time.Microsecond},
		{"same instant", 0},
		{"clock stepping back", -time.Second},
		{"many per millisecond", 10 * time.Nanosecond}, // overflows the 12-bit sequence
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := record.NewIDs()
			ids := make([]string, 10000)
			now := at
			for i := range ids {
				ids[i] = g.Next(now)
				now = now.Add(tt.step)
			}
			if !sort.StringsAreSorted(ids) {
				t.Fatal("IDs made in sequence do not sort in sequence")
			}
			seen := map[string]bool{}
			for _, id := range ids {
				u, err := uuid.Parse(id)
				if err != nil || u.String() != id {
					t.Fatalf("%q is not a canonical UUID: %v", id, err)
				}
				if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
					t.Fatalf("%s: version %d variant %v, want 7 RFC4122", id, u.Version(), u.Variant())
				}
				if seen[id] {
					t.Fatalf("%s made twice", id)
				}
				seen[id] = true
			}
			// The first ID carries its millisecond, as uuid's own v7 does.
			u := uuid.MustParse(ids[0])
			sec, nsec := u.Time().UnixTime()
			if got := time.Unix(sec, nsec); got.UnixMilli() != at.UnixMilli() {
				t.Fatalf("first ID's time %v, want %v", got, at)
			}
		})
	}
}

func TestIDsOfSeparateGeneratorsDiffer(t *testing.T) {
	at := time.Now()
	a, b := record.NewIDs(), record.NewIDs()
	for range 1000 {
		if x, y := a.Next(at), b.Next(at); x == y {
			t.Fatalf("two generators made %s at the same instant", x)
		}
	}
	// IDs of a later millisecond sort after, whichever generator made them.
	if early, late := a.Next(at), b.Next(at.Add(time.Millisecond)); late < early {
		t.Fatalf("%s of a later millisecond sorts before %s", late, early)
	}
}

func BenchmarkNewID(b *testing.B) {
	for b.Loop() {
		_ = record.NewID()
	}
}

func BenchmarkIDsNext(b *testing.B) {
	g := record.NewIDs()
	for b.Loop() {
		_ = g.Next(time.Now())
	}
}

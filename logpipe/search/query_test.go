package search_test

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/record"
	"github.com/berth-dev/berth/logpipe/search"
)

func TestQueryValidate(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		q    search.Query
		ok   bool
	}{
		{"empty", search.Query{}, true},
		{"full", search.Query{App: "web", Text: "x", Since: now.Add(-time.Hour), Until: now, Limit: 5}, true},
		{"negative limit", search.Query{Limit: -1}, false},
		{"huge limit", search.Query{Limit: search.MaxLimit + 1}, false},
		{"inverted range", search.Query{Since: now, Until: now.Add(-time.Second)}, false},
	}
	for _, tt := range tests {
		if err := tt.q.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
	}
	bad := search.Query{Limit: -1, Since: now, Until: now.Add(-time.Second)}
	if err := bad.Validate(); err == nil || len(err.(interface{ Unwrap() []error }).Unwrap()) != 2 {
		t.Errorf("want both problems reported, got %v", err)
	}
}

func TestWithDefaults(t *testing.T) {
	if got := (search.Query{}).WithDefaults().Limit; got != search.DefaultLimit {
		t.Errorf("default limit %d", got)
	}
	if got := (search.Query{Limit: 7}).WithDefaults().Limit; got != 7 {
		t.Errorf("explicit limit changed to %d", got)
	}
}

func TestOldestFirst(t *testing.T) {
	got := search.OldestFirst([]record.Record{{ID: "3"}, {ID: "2"}, {ID: "1"}})
	if got[0].ID != "1" || got[2].ID != "3" {
		t.Fatalf("got %v", got)
	}
}

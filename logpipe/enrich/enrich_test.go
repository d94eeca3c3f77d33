package enrich_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/enrich"
	"github.com/berth-dev/berth/logpipe/record"
)

func TestComplete(t *testing.T) {
	now := time.Date(2024, 11, 23, 18, 0, 0, 0, time.UTC)
	then := now.Add(-time.Minute)
	known := enrich.InstanceInfo{App: "web", Host: "h2"}
	tests := []struct {
		name  string
		in    record.Record
		info  enrich.InstanceInfo
		found bool
		want  record.Record
	}{
		{"fills from directory",
			record.Record{ID: "1", Instance: "web-3f2a1c", Host: "docker-box", Time: then, Message: "m"}, known, true,
			record.Record{ID: "1", App: "web", Instance: "web-3f2a1c", Host: "h2", Stream: "stdout", Severity: "info", Time: then, Message: "m"}},
		{"keeps app from the tag",
			record.Record{ID: "1", App: "api", Instance: "web-3f2a1c", Time: then}, known, true,
			record.Record{ID: "1", App: "api", Instance: "web-3f2a1c", Host: "h2", Stream: "stdout", Severity: "info", Time: then}},
		{"unknown instance: app from its id, host kept",
			record.Record{ID: "1", Instance: "shop-0a1b2c", Host: "docker-box", Time: then}, enrich.InstanceInfo{}, false,
			record.Record{ID: "1", App: "shop", Instance: "shop-0a1b2c", Host: "docker-box", Stream: "stdout", Severity: "info", Time: then}},
		{"stderr defaults to err",
			record.Record{ID: "1", App: "web", Stream: "stderr", Time: then}, enrich.InstanceInfo{}, false,
			record.Record{ID: "1", App: "web", Stream: "stderr", Severity: "err", Time: then}},
		{"severity normalised",
			record.Record{ID: "1", App: "web", Severity: "WARN", Time: then}, enrich.InstanceInfo{}, false,
			record.Record{ID: "1", App: "web", Stream: "stdout", Severity: "warning", Time: then}},
		{"unknown severity kept",
			record.Record{ID: "1", App: "web", Severity: "loud", Time: then}, enrich.InstanceInfo{}, false,
			record.Record{ID: "1", App: "web", Stream: "stdout", Severity: "loud", Time: then}},
		{"time defaults to now",
			record.Record{ID: "1", App: "web"}, enrich.InstanceInfo{}, false,
			record.Record{ID: "1", App: "web", Stream: "stdout", Severity: "info", Time: now}},
	}
	for _, tt := range tests {
		got := enrich.Complete(tt.in, tt.info, tt.found, now)
		if got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
	if got := enrich.Complete(record.Record{}, enrich.InstanceInfo{}, false, now); got.ID == "" {
		t.Error("no ID assigned to a record without one")
	}
}

type recorder struct {
	mu   sync.Mutex
	recs []record.Record
}

func (r *recorder) Publish(_ context.Context, recs []record.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, recs...)
	return nil
}

func TestWrapEnrichesBeforePublishing(t *testing.T) {
	cache := enrich.NewCache()
	cache.Set("web-3f2a1c", enrich.InstanceInfo{App: "web", Host: "h1"})
	var out recorder
	p := enrich.New(cache).Wrap(&out)
	err := p.Publish(context.Background(), []record.Record{
		{ID: "a", Instance: "web-3f2a1c", Message: "known"},
		{ID: "b", Instance: "gone-0a0a0a", Message: "unknown"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.recs) != 2 || out.recs[0].Host != "h1" || out.recs[0].App != "web" || out.recs[1].App != "gone" {
		t.Fatalf("published %+v", out.recs)
	}

	cache.Delete("web-3f2a1c")
	if _, ok := cache.Lookup("web-3f2a1c"); ok || cache.Len() != 0 {
		t.Fatal("deleted instance still known")
	}
}

func TestCacheConcurrentUse(t *testing.T) {
	cache := enrich.NewCache()
	e := enrich.New(cache)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 1000 {
				cache.Set("web-3f2a1c", enrich.InstanceInfo{App: "web", Host: string(rune('a' + i))})
				cache.Delete("web-3f2a1c")
			}
		}()
		go func() {
			defer wg.Done()
			recs := make([]record.Record, 1)
			for range 1000 {
				recs[0] = record.Record{Instance: "web-3f2a1c"}
				e.Enrich(recs)
				if recs[0].App != "web" {
					t.Errorf("app %q", recs[0].App)
					return
				}
			}
		}()
	}
	wg.Wait()
}

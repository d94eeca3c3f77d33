package bench_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/bench"
	"github.com/berth-dev/berth/logpipe/intake"
)

func TestFileLinesCountsOnlyWhatWasAppended(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	count := bench.FileLines(path)
	ctx := context.Background()
	if n, err := count(ctx); err != nil || n != 0 {
		t.Fatalf("missing file: %d, %v", n, err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []string{"a\nb\n", "partial", " line\n\n"} {
		if _, err := f.WriteString(chunk); err != nil {
			t.Fatal(err)
		}
		if _, err := count(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := count(ctx); err != nil || n != 4 {
		t.Fatalf("counted %d lines, %v; want 4", n, err)
	}
}

func TestWaitForPublished(t *testing.T) {
	var published atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		published.Add(10)
		_ = json.NewEncoder(w).Encode(intake.Stats{Published: published.Load()})
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := bench.WaitFor(ctx, bench.Published(srv.URL), 50, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got := published.Load(); got < 50 {
		t.Fatalf("returned at %d published", got)
	}

	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	never := func(context.Context) (uint64, error) { return 1, nil }
	if _, err := bench.WaitFor(short, never, 2, time.Millisecond); err == nil {
		t.Fatal("WaitFor returned without reaching the count")
	}
}

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"time"
)

// Counter reports how many lines a receiver has taken so far.
type Counter func(ctx context.Context) (uint64, error)

// WaitFor polls count every poll until it reaches n, and returns when it
// did. It fails when ctx ends first.
func WaitFor(ctx context.Context, count Counter, n uint64, poll time.Duration) (time.Time, error) {
	t := time.NewTicker(poll)
	defer t.Stop()
	var got uint64
	for {
		var err error
		if got, err = count(ctx); err != nil {
			return time.Time{}, err
		}
		if got >= n {
			return time.Now(), nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%d of %d lines taken: %w", got, n, ctx.Err())
		}
	}
}

// FileLines counts the lines in the file at path, a receiver's output,
// reading only what was appended since the last call. A missing file has
// no lines yet.
func FileLines(path string) Counter {
	var (
		offset int64
		lines  uint64
		buf    = make([]byte, 1<<20)
	)
	return func(context.Context) (uint64, error) {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("count lines: %w", err)
		}
		defer f.Close()
		for {
			n, err := f.ReadAt(buf, offset)
			offset += int64(n)
			lines += uint64(bytes.Count(buf[:n], []byte{'\n'}))
			if errors.Is(err, io.EOF) {
				return lines, nil
			}
			if err != nil {
				return 0, fmt.Errorf("count lines in %s: %w", path, err)
			}
		}
	}
}

// Published reads the records acknowledged so far from a JSON stats
// endpoint that reports {"Published": n} (intake.Stats).
func Published(url string) Counter {
	client := &http.Client{Timeout: 5 * time.Second}
	return func(ctx context.Context) (uint64, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, fmt.Errorf("stats request: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("get stats: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("get stats %s: %s", url, resp.Status)
		}
		var st struct{ Published uint64 }
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			return 0, fmt.Errorf("decode stats: %w", err)
		}
		return st.Published, nil
	}
}

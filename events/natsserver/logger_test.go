package natsserver_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/events/natsserver"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoggerReceivesServerLog(t *testing.T) {
	var buf syncBuffer
	start(t, natsserver.Config{
		DataDir: t.TempDir(),
		Port:    natsserver.RandomPort,
		Logger:  slog.New(slog.NewTextHandler(&buf, nil)),
	})
	if out := buf.String(); !strings.Contains(out, "Server is ready") || !strings.Contains(out, "level=INFO") {
		t.Fatalf("server log missing start-up notice:\n%s", out)
	}
}

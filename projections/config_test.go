package projections

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestConfigValidate(t *testing.T) {
	nc := &nats.Conn{}
	for _, tt := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"ok", Config{DatabaseURL: "postgres://x", NATS: nc}, nil},
		{"everything missing", Config{AckWait: -time.Second}, []string{"database url is required", "nats connection is required", "ack wait must not be negative"}},
		{"ack wait too short", Config{DatabaseURL: "postgres://x", NATS: nc, AckWait: time.Millisecond}, []string{"at least 500ms"}},
		{"negative batch", Config{DatabaseURL: "postgres://x", NATS: nc, BatchSize: -1}, []string{"batch size must not be negative"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != (len(tt.want) == 0) {
				t.Fatalf("Validate() = %v, want problems %q", err, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, missing %q", err, w)
				}
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 50: time.Second} {
		if got := backoff(100*time.Millisecond, n, time.Second); got != want {
			t.Errorf("backoff(100ms, %d, 1s) = %v, want %v", n, got, want)
		}
	}
}

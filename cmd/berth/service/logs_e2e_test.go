package service_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/cli"
	"github.com/berth-dev/berth/cmd/berth/e2etest"
	"github.com/berth-dev/berth/cmd/berth/service"
)

// A line a container writes through Docker's syslog driver is searchable
// by app and text within seconds, with its instance, and `logs -f` follows
// new lines live: through each host's relay, and through the server's
// central intake when hosts run no relay.
func TestLogsFromContainersAreSearchable(t *testing.T) {
	image := testimage.EnsureT(t)
	t.Run("host relays", func(t *testing.T) {
		testLogsSearchable(t, startDev(t, 2, true), image)
	})
	t.Run("central intake", func(t *testing.T) {
		testLogsSearchable(t, startDev(t, 2, false, func(c *service.DevConfig) {
			c.Server.SyslogListen = "127.0.0.1:0"
		}), image)
	})
}

func testLogsSearchable(t *testing.T, d *service.Dev, image string) {
	berth(t, d, "deploy", "talker", "--image", image, "--replicas", "2", "--wait", "--timeout", "2m")

	line := fmt.Sprintf("needle-%08x", rand.Uint32())
	resp, err := viaGateway(d, "talker", "/log?line="+line)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("log request: %v %v", resp, err)
	}
	resp.Body.Close()
	var out string
	eventually(t, 30*time.Second, "the line is searchable", func() bool {
		out = berth(t, d, "logs", "talker", "--query", line, "--since", "5m")
		return strings.Contains(out, line)
	})
	ids := map[string]bool{}
	for _, i := range instances(t, d, "talker") {
		ids[i.ID] = true
	}
	found := false
	for id := range ids {
		found = found || strings.Contains(out, id)
	}
	if !found {
		t.Fatalf("search result names no instance of talker (%v):\n%s", ids, out)
	}
	if other := berth(t, d, "logs", "talker", "--query", "no-such-words-here"); strings.Contains(other, line) {
		t.Fatalf("unrelated query returned the line:\n%s", other)
	}

	// Follow: a line written after `logs -f` started shows up in its output.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var follow e2etest.SyncBuffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		cli.Main(ctx, []string{"--api", "http://" + d.APIAddr.String(), "logs", "talker", "-f", "--since", "1s"}, &follow, &follow)
	}()
	live := fmt.Sprintf("live-%08x", rand.Uint32())
	eventually(t, 30*time.Second, "logs -f shows a new line", func() bool {
		if resp, err := viaGateway(d, "talker", "/log?line="+live); err == nil {
			resp.Body.Close()
		}
		return strings.Contains(follow.String(), live)
	})
	stop()
	<-done
}

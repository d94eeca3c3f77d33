package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/cli"
	"github.com/berth-dev/berth/cmd/berth/e2etest"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/projections/pgtest"
)

// An app logs a line every 10 ms through its host's relay while the
// server, which runs logpipe's indexer and here the embedded NATS server
// too, is stopped and restarted twice, once with SIGTERM and once with
// kill -9: afterwards every line the app wrote is searchable, none lost.
func TestLogpipeRestartsLoseNoLine(t *testing.T) {
	image := testimage.EnsureT(t)
	dir := t.TempDir()
	bin := e2etest.Build(t)
	api := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	natsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := &server{t: t, bin: bin, api: api, args: []string{"server",
		"--api-listen", api[len("http://"):], "--nats-listen", natsAddr,
		"--data-dir", filepath.Join(dir, "data"), "--database-url", pgtest.NewDB(t),
		"--gateway-listen", ""}}
	s.start()
	defer func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			_ = s.cmd.Wait()
		}
	}()

	host := fmt.Sprintf("lr%04x", rand.IntN(1<<16))
	agent := exec.Command(bin, "agent", "--nats-url", "nats://"+natsAddr, "--host-id", host,
		"--addr", "127.0.0.6", "--log-relay", "127.0.0.6:0", "--ports", "39000-39999")
	var agentLog e2etest.SyncBuffer
	agent.Stdout, agent.Stderr = &agentLog, &agentLog
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = agent.Process.Signal(syscall.SIGTERM)
		_, _ = agent.Process.Wait()
		e2etest.RemoveContainers(t, host)
		if t.Failed() {
			t.Logf("agent log:\n%s", agentLog.String())
		}
	})

	run(t, api, "deploy", "ticker", "--image", image, "--env", "TESTAPP_LOG_EVERY=10ms", "--wait", "--timeout", "2m")
	var ps []struct {
		HostAddr string `json:"host_addr"`
		HostPort int    `json:"host_port"`
	}
	if err := json.Unmarshal([]byte(run(t, api, "ps", "ticker", "-o", "json")), &ps); err != nil || len(ps) != 1 {
		t.Fatalf("ps: %v %+v", err, ps)
	}
	ticks := fmt.Sprintf("http://%s:%d/ticks/stop", ps[0].HostAddr, ps[0].HostPort)

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		before := len(searchTicks(t, api))
		e2etest.Eventually(t, 60*time.Second, "new lines searchable before the "+sig.String(), func() bool {
			return len(searchTicks(t, api)) > before+50
		})
		_ = s.cmd.Process.Signal(sig)
		_ = s.cmd.Wait()
		time.Sleep(time.Second) // the app goes on logging while logpipe is away
		s.start()
	}
	// Some more lines after the last restart, then the app stops ticking
	// and says how many it wrote.
	after := len(searchTicks(t, api))
	e2etest.Eventually(t, 60*time.Second, "new lines searchable after the restarts", func() bool {
		return len(searchTicks(t, api)) > after+50
	})
	resp, err := http.Get(ticks)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var written int
	if _, err := fmt.Sscan(string(body), &written); err != nil || written == 0 {
		t.Fatalf("/ticks/stop answered %q: %v", body, err)
	}

	var missing []int
	defer func() {
		if len(missing) > 0 {
			t.Logf("%d of %d lines missing from search: %s", len(missing), written, ranges(missing))
			t.Logf("in the JetStream buffer: %s", bufferedTicks(t, "nats://"+natsAddr, missing))
		}
	}()
	e2etest.Eventually(t, 60*time.Second, "every written line searchable", func() bool {
		got := searchTicks(t, api)
		missing = missing[:0]
		for n := 1; n <= written; n++ {
			if !got[n] {
				missing = append(missing, n)
			}
		}
		return len(missing) == 0
	})
	t.Logf("all %d lines the app wrote are searchable after a SIGTERM and a kill -9 restart", written)
}

// searchTicks returns which "tick N" lines of app ticker are searchable.
func searchTicks(t *testing.T, api string) map[int]bool {
	t.Helper()
	resp, err := http.Get(api + "/v1/apps/ticker/logs?" + url.Values{"q": {"tick"}, "limit": {"10000"}}.Encode())
	if err != nil {
		return nil // the server is restarting
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	var out struct {
		Records []struct {
			Message string `json:"message"`
		} `json:"records"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode search: %v", err)
	}
	if len(out.Records) == 10000 {
		t.Fatal("search hit its limit: the test would miss lines; log fewer")
	}
	got := map[int]bool{}
	for _, r := range out.Records {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(r.Message), "tick %d", &n); err == nil {
			got[n] = true
		}
	}
	return got
}

// bufferedTicks tells which of the ticks are in the BERTH_LOGS stream,
// to tell a loss before the bus from one after it.
func bufferedTicks(t *testing.T, natsURL string, ticks []int) string {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return err.Error()
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, buffer.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{buffer.AppFilter("ticker")}})
	if err != nil {
		return err.Error()
	}
	want := map[string]bool{}
	for _, n := range ticks {
		want[fmt.Sprintf("tick %d", n)] = true
	}
	var found []string
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			break
		}
		recs, _ := buffer.DecodeMessage(m.Data())
		for _, r := range recs {
			if want[strings.TrimSpace(r.Message)] {
				md, _ := m.Metadata()
				found = append(found, fmt.Sprintf("%q (seq %d, id %s)", r.Message, md.Sequence.Stream, r.ID))
			}
		}
	}
	if len(found) == 0 {
		found = append(found, "none of them")
	}
	if ci, err := js.Consumer(ctx, buffer.StreamName, buffer.ConsumerName); err == nil {
		info := ci.CachedInfo()
		found = append(found, fmt.Sprintf("indexer consumer: delivered %d, ack floor %d, pending %d, ack pending %d, redelivered %d",
			info.Delivered.Stream, info.AckFloor.Stream, info.NumPending, info.NumAckPending, info.NumRedelivered))
	}
	return strings.Join(found, "; ")
}

// ranges writes sorted numbers compactly: 1-3, 7, 9-12.
func ranges(ns []int) string {
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, fmt.Sprint(ns[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", ns[i], ns[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// run runs the berth CLI against api and returns its output.
func run(t *testing.T, api string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if code := cli.Main(context.Background(), append([]string{"--api", api}, args...), &out, &out); code != 0 {
		t.Fatalf("berth %s: exit %d: %s", strings.Join(args, " "), code, out.String())
	}
	return out.String()
}

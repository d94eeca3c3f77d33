package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
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

// logRig is a `berth server` process and one `berth agent` process with
// its log relay, running app "ticker", which logs "tick N" every 10 ms.
type logRig struct {
	t                       *testing.T
	bin, api, natsURL, host string
	dataDir                 string // the server's: its NATS keys are under credentials/
	relay                   string // the relay's fixed address: containers keep logging there
	server                  *server
	agent                   *exec.Cmd
	agentLog                e2etest.SyncBuffer
	ticks                   string // /ticks/stop of the instance
}

func newLogRig(t *testing.T) *logRig {
	image := testimage.EnsureT(t)
	dir := t.TempDir()
	r := &logRig{t: t, bin: e2etest.Build(t), host: fmt.Sprintf("lr%04x", rand.IntN(1<<16))}
	r.api = fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	natsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	r.natsURL = "nats://" + natsAddr
	r.relay = fmt.Sprintf("127.0.0.6:%d", freePortOn(t, "127.0.0.6"))
	r.dataDir = filepath.Join(dir, "data")
	// The host's NATS key, authorised before the server starts.
	if out, err := exec.Command(r.bin, "nats-key", "host", r.host, "--data-dir", r.dataDir).CombinedOutput(); err != nil {
		t.Fatalf("nats-key host: %v\n%s", err, out)
	}
	r.server = &server{t: t, bin: r.bin, api: r.api, args: []string{"server",
		"--api-listen", r.api[len("http://"):], "--nats-listen", natsAddr,
		"--data-dir", r.dataDir, "--database-url", pgtest.NewDB(t),
		"--gateway-listen", ""}}
	r.server.start()
	t.Cleanup(func() {
		if r.server.cmd.ProcessState == nil {
			_ = r.server.cmd.Process.Signal(syscall.SIGTERM)
			_ = r.server.cmd.Wait()
		}
	})
	r.startAgent()
	t.Cleanup(func() {
		if r.agent.ProcessState == nil {
			_ = r.agent.Process.Signal(syscall.SIGTERM)
			_, _ = r.agent.Process.Wait()
		}
		e2etest.RemoveContainers(t, r.host)
		if t.Failed() {
			t.Logf("agent log:\n%s", r.agentLog.String())
		}
	})

	run(t, r.api, "deploy", "ticker", "--image", image, "--env", "TESTAPP_LOG_EVERY=10ms", "--wait", "--timeout", "2m")
	var ps []struct {
		HostAddr string `json:"host_addr"`
		HostPort int    `json:"host_port"`
	}
	if err := json.Unmarshal([]byte(run(t, r.api, "ps", "ticker", "-o", "json")), &ps); err != nil || len(ps) != 1 {
		t.Fatalf("ps: %v %+v", err, ps)
	}
	r.ticks = fmt.Sprintf("http://%s:%d/ticks", ps[0].HostAddr, ps[0].HostPort)
	return r
}

func (r *logRig) startAgent() {
	r.t.Helper()
	r.agent = exec.Command(r.bin, "agent", "--nats-url", r.natsURL, "--host-id", r.host,
		"--nats-creds", filepath.Join(r.dataDir, "credentials", "hosts", r.host+".nk"),
		"--addr", "127.0.0.6", "--log-relay", r.relay, "--ports", "39000-39999")
	r.agent.Stdout, r.agent.Stderr = &r.agentLog, &r.agentLog
	if err := r.agent.Start(); err != nil {
		r.t.Fatal(err)
	}
}

// waitNewLines waits until 50 more ticks are searchable.
func (r *logRig) waitNewLines(when string) {
	r.t.Helper()
	before := len(searchTicks(r.t, r.api))
	e2etest.Eventually(r.t, 60*time.Second, "new lines searchable "+when, func() bool {
		return len(searchTicks(r.t, r.api)) > before+50
	})
}

// written asks the app how many lines it wrote; /stop also ends the ticking.
func (r *logRig) written(stop bool) int {
	r.t.Helper()
	url := r.ticks
	if stop {
		url += "/stop"
	}
	resp, err := http.Get(url)
	if err != nil {
		r.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var n int
	if _, err := fmt.Sscan(string(body), &n); err != nil {
		r.t.Fatalf("%s answered %q: %v", url, body, err)
	}
	return n
}

// whileAway waits until the app has written 100 more lines, while a part
// of the pipeline is down.
func (r *logRig) whileAway() {
	r.t.Helper()
	from := r.written(false)
	e2etest.Eventually(r.t, 30*time.Second, "the app logging on meanwhile", func() bool { return r.written(false) >= from+100 })
}

// checkEveryLine stops the ticking and waits until every line the app
// says it wrote is searchable.
func (r *logRig) checkEveryLine() {
	t := r.t
	t.Helper()
	written := r.written(true)
	if written == 0 {
		t.Fatal("the app wrote no line")
	}
	var missing []int
	defer func() {
		if len(missing) > 0 {
			t.Logf("%d of %d lines missing from search: %s", len(missing), written, ranges(missing))
			t.Logf("in the JetStream buffer: %s", bufferedTicks(t, r.natsURL, filepath.Join(r.dataDir, "credentials", "server.nk"), missing))
		}
	}()
	var got map[int]int
	e2etest.Eventually(t, 60*time.Second, "every written line searchable", func() bool {
		got = searchTicks(t, r.api)
		missing = missing[:0]
		for n := 1; n <= written; n++ {
			if got[n] == 0 {
				missing = append(missing, n)
			}
		}
		return len(missing) == 0
	})
	var twice []int
	for n := 1; n <= written; n++ {
		if got[n] > 1 {
			twice = append(twice, n)
		}
	}
	if len(twice) > 0 {
		t.Errorf("lines stored more than once: %s", ranges(twice))
	}
	t.Logf("all %d lines the app wrote are searchable, each once", written)
}

// The server, which runs logpipe's indexer and here the embedded NATS
// server too, is stopped and restarted twice while the app logs, once
// with SIGTERM and once with kill -9: every line the app wrote is
// searchable afterwards.
func TestLogpipeRestartsLoseNoLine(t *testing.T) {
	r := newLogRig(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		r.waitNewLines("before the " + sig.String())
		_ = r.server.cmd.Process.Signal(sig)
		_ = r.server.cmd.Wait()
		r.whileAway()
		r.server.start()
	}
	r.waitNewLines("after the restarts")
	r.checkEveryLine()
}

// The agent, and with it the host's log relay, is killed with kill -9
// while the app logs and comes back a second later: Docker's syslog
// driver drops what it writes meanwhile, and the restarted relay
// recovers those lines from Docker's own log cache, so every line the
// app wrote is searchable afterwards.
func TestAgentKill9LosesNoLine(t *testing.T) {
	r := newLogRig(t)
	r.waitNewLines("before the kill")
	_ = r.agent.Process.Signal(syscall.SIGKILL)
	_, _ = r.agent.Process.Wait()
	r.whileAway()
	r.startAgent()
	r.waitNewLines("after the restart")
	r.checkEveryLine()
	if !strings.Contains(r.agentLog.String(), "recovered from Docker") {
		t.Errorf("the restarted relay recovered no line from Docker's cache; agent log:\n%s", r.agentLog.String())
	}
}

// searchTicks returns how often each "tick N" line of app ticker is found.
func searchTicks(t *testing.T, api string) map[int]int {
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
	got := map[int]int{}
	for _, r := range out.Records {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(r.Message), "tick %d", &n); err == nil {
			got[n]++
		}
	}
	return got
}

// bufferedTicks tells which of the ticks are in the BERTH_LOGS stream,
// to tell a loss before the bus from one after it.
func bufferedTicks(t *testing.T, natsURL, seed string, ticks []int) string {
	auth, err := nats.NkeyOptionFromSeed(seed)
	if err != nil {
		return err.Error()
	}
	nc, err := nats.Connect(natsURL, auth)
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

// freePortOn returns a port free on ip at the moment.
func freePortOn(t *testing.T, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
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

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/cmd/berth/e2etest"
	"github.com/berth-dev/berth/projections/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// server is a `berth server` process started from the built binary.
type server struct {
	t    *testing.T
	bin  string
	args []string
	api  string
	cmd  *exec.Cmd
	log  bytes.Buffer
}

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("server not ready: %v\n%s", err, s.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *server) kill9() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

func post(api, path, key string, body any) (int, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", api+path, bytes.NewReader(b))
	req.Header.Set("Idempotency-Key", key)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// kill -9 of a server that is appending commands: every command that got a
// success reply is, after a restart, in the stream and in the read model
// exactly once; commands whose reply was lost can be retried with their
// key and still apply at most once.
func TestKill9WhileAppending(t *testing.T) {
	dir := t.TempDir()
	bin := e2etest.Build(t)
	api := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	s := &server{t: t, bin: bin, api: api, args: []string{"server",
		"--api-listen", api[len("http://"):], "--nats-listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"--data-dir", filepath.Join(dir, "data"), "--database-url", pgtest.NewDB(t),
		"--gateway-listen", "", "--syslog-listen", ""}}
	s.start()
	defer func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			_ = s.cmd.Wait()
		}
	}()

	apps := []string{"a1", "a2", "a3", "a4"}
	for _, app := range apps {
		if code, err := post(api, "/v1/apps/"+app+"/deploy", "deploy-"+app, map[string]any{"image": "nginx", "replicas": 0}); err != nil || code != 201 {
			t.Fatalf("deploy %s: %d %v", app, code, err)
		}
	}

	type cmd struct{ app, key, domain string }
	var mu sync.Mutex
	acked := map[string]cmd{}
	var unacked []cmd
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, app := range apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				c := cmd{app: app, key: fmt.Sprintf("%s-%d", app, i), domain: fmt.Sprintf("d%d.%s.example.com", i, app)}
				code, err := post(api, "/v1/apps/"+app+"/domains", c.key, map[string]any{"domains": []string{c.domain}})
				mu.Lock()
				if err == nil && code == 201 {
					acked[c.key] = c
				} else {
					unacked = append(unacked, c)
				}
				mu.Unlock()
				if err != nil {
					return // the server is gone
				}
			}
		}()
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 150 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.kill9()
	stop()
	wg.Wait()
	t.Logf("%d commands acknowledged before kill -9, %d without a success reply", len(acked), len(unacked))

	s.start()
	// Clients retry what they never got an answer for, with the same key.
	for _, c := range unacked {
		code, err := post(api, "/v1/apps/"+c.app+"/domains", c.key, map[string]any{"domains": []string{c.domain}})
		if err != nil || (code != 201 && code != 200) {
			t.Fatalf("retry of %s after restart: %d %v", c.key, code, err)
		}
		acked[c.key] = c
	}

	// Every acknowledged key appears exactly once in each app's history,
	// which is the read model; the history is read once projections
	// caught up with the stream.
	deadline := time.Now().Add(60 * time.Second)
	for {
		counts := map[string]int{}
		for _, app := range apps {
			for after := 0; ; {
				resp, err := http.Get(fmt.Sprintf("%s/v1/apps/%s/events?after=%d&limit=1000", api, app, after))
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != http.StatusOK {
					resp.Body.Close() // not projected yet after the restart
					break
				}
				var evs []struct {
					Seq int    `json:"seq"`
					Key string `json:"berthkey"`
				}
				err = json.NewDecoder(resp.Body).Decode(&evs)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) == 0 {
					break
				}
				for _, e := range evs {
					counts[e.Key]++
				}
				after = evs[len(evs)-1].Seq
			}
		}
		missing, doubled := 0, 0
		for key := range acked {
			switch counts[key] {
			case 0:
				missing++
			case 1:
			default:
				doubled++
			}
		}
		if doubled > 0 {
			t.Fatalf("%d acknowledged commands applied more than once", doubled)
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged commands missing from the read model after restart", missing, len(acked))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

// apiOnCluster is one Berth API server (its own connection, store and
// command handler) on the cluster c.
func apiOnCluster(t *testing.T, c *natstest.Cluster) (*httptest.Server, *events.Store) {
	t.Helper()
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	var st *events.Store
	natstest.Retry(t, time.Minute, "open the replicated event stream", func() (err error) {
		st, err = events.OpenStore(context.Background(), js, events.StoreConfig{Replicas: 3, Source: "test"})
		return err
	})
	mux := http.NewServeMux()
	commands.NewHandler(st, "api").Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, st
}

type answer struct {
	status int
	body   map[string]any
	err    error // transport
}

func post(url, body, key string) answer {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set(commands.IdempotencyHeader, key)
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return answer{status: resp.StatusCode, body: out}
}

// A history checker in the spirit of Jepsen's: clients of two API servers
// issue scale commands, each with its own key and replica count, while
// the event stream's leader is killed and restarted, three times. Every
// command answered with success is in the log exactly once, none answered
// with a definite failure is, an outcome-unknown one is at most once, and
// no command is answered as a no-op (which here could only be a decision
// on stale state).
func TestScaleHistoryAcrossLeaderKills(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	api1, st := apiOnCluster(t, c)
	api2, _ := apiOnCluster(t, c)
	c.WaitStreamCurrent(events.StreamName)
	if a := post(api1.URL+"/v1/apps/web/deploy", `{"image":"nginx","replicas":1}`, "deploy"); a.status != http.StatusCreated {
		t.Fatalf("deploy: %+v", a)
	}

	const clients = 6
	type op struct {
		key string
		answer
	}
	var (
		mu       sync.Mutex
		history  []op
		done     atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		replicas atomic.Int64
	)
	replicas.Store(1)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			api := []*httptest.Server{api1, api2}[i%2]
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("c%d-%d", i, n)
				r := replicas.Add(1) % commands.MaxReplicas
				a := post(api.URL+"/v1/apps/web/scale", fmt.Sprintf(`{"replicas":%d}`, r), key)
				mu.Lock()
				history = append(history, op{key, a})
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	progress := func(n int64) {
		start := done.Load()
		natstest.Eventually(t, 2*time.Minute, fmt.Sprintf("%d more commands answered", n), func() bool { return done.Load() >= start+n })
	}
	progress(20)
	for range 3 {
		c.Kill(c.WaitStreamLeader(events.StreamName))
		progress(20) // commands issued after the kill are answered
		for i := range 3 {
			c.Restart(i)
		}
		c.WaitStreamCurrent(events.StreamName)
		progress(10)
	}
	close(stop)
	wg.Wait()

	recs, _, err := st.Load(context.Background(), events.App("web"), 0)
	if err != nil {
		t.Fatal(err)
	}
	stored, scales := map[string]int{}, 0
	for _, r := range recs {
		if _, ok := r.Event.(events.AppScaled); ok {
			stored[r.IdempotencyKey]++
			scales++
		}
	}
	var ok, failed, unknown int
	for _, o := range history {
		n := stored[o.key]
		switch {
		case o.err != nil, o.status == http.StatusServiceUnavailable && o.body["idempotency_key"] == o.key:
			unknown++
			if n > 1 {
				t.Errorf("%s (outcome unknown: %v %v) stored %d times", o.key, o.err, o.body, n)
			}
		case o.status == http.StatusCreated, o.status == http.StatusOK && o.body["duplicate"] == true:
			ok++
			if n != 1 {
				t.Errorf("%s answered %d %v, stored %d times", o.key, o.status, o.body, n)
			}
		case o.status == http.StatusOK:
			t.Errorf("%s answered as a no-op (%v): decided on stale state", o.key, o.body)
		default:
			failed++
			if n != 0 {
				t.Errorf("%s answered %d %v, yet stored %d times", o.key, o.status, o.body, n)
			}
			if o.status == http.StatusServiceUnavailable && o.body["error"] != "event store unavailable (no quorum): try again" {
				t.Errorf("%s: 503 %v", o.key, o.body)
			}
		}
	}
	t.Logf("%d commands: %d succeeded, %d failed, %d outcome unknown; %d scale events stored", len(history), ok, failed, unknown, scales)
	if ok == 0 {
		t.Fatal("no command succeeded")
	}
}

// Two of three nodes down: a command fails with 503 saying the store is
// unavailable, or, if its write went out unconfirmed, naming the key to
// retry with; retried with that key once the nodes are back, it is
// applied once.
func TestQuorumLossAnswers503(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	api, st := apiOnCluster(t, c)
	c.WaitStreamCurrent(events.StreamName)
	if a := post(api.URL+"/v1/apps/web/deploy", `{"image":"nginx","replicas":1}`, "deploy"); a.status != http.StatusCreated {
		t.Fatalf("deploy: %+v", a)
	}
	c.Kill(1)
	c.Kill(2)
	a := post(api.URL+"/v1/apps/web/scale", `{"replicas":5}`, "s1")
	if a.status != http.StatusServiceUnavailable {
		t.Fatalf("scale without quorum: %+v, want 503", a)
	}
	if a.body["error"] != "event store unavailable (no quorum): try again" && a.body["idempotency_key"] != "s1" {
		t.Fatalf("scale without quorum: %v", a.body)
	}

	c.Restart(1)
	c.Restart(2)
	c.WaitStreamCurrent(events.StreamName)
	if a := post(api.URL+"/v1/apps/web/scale", `{"replicas":5}`, "s1"); a.status != http.StatusCreated && a.body["duplicate"] != true {
		t.Fatalf("retry with quorum back: %+v", a)
	}
	recs, _, err := st.Load(context.Background(), events.App("web"), 0)
	if err != nil {
		t.Fatal(err)
	}
	// The deploy is two events (deployed, rollout_started), then one scale.
	if n := len(recs); n != 3 {
		t.Fatalf("%d events, want the deploy and one scale", n)
	}
}

package natsauth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/hostbus"
	"github.com/berth-dev/berth/events/natsauth"
	"github.com/berth-dev/berth/events/natsserver"
	"github.com/berth-dev/berth/events/natstest"
)

// bus is an embedded server closed by a credentials directory with the
// server's key, agents h1 and h2 and integrator "dash", and the server's
// own store with the streams and buckets it creates.
type bus struct {
	srv   *natsserver.Server
	dir   natsauth.Directory
	store *events.Store
}

func closedBus(t *testing.T) bus {
	t.Helper()
	dir := natsauth.Directory{Dir: filepath.Join(t.TempDir(), "credentials")}
	if err := dir.EnsureServer(); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"h1", "h2"} {
		if _, err := dir.AddHost(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dir.AddIntegrator("dash"); err != nil {
		t.Fatal(err)
	}
	users, err := dir.Users()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsserver.Start(natsserver.Config{DataDir: t.TempDir(), Port: natsserver.RandomPort, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	st := natstest.StoreOn(t, connect(t, srv, dir.ServerSeedFile()), "test")
	if err := hostbus.EnsureStreams(context.Background(), st.JetStream(), 1); err != nil {
		t.Fatal(err)
	}
	if err := events.EnsureBuckets(context.Background(), st.JetStream(), 1); err != nil {
		t.Fatal(err)
	}
	return bus{srv: srv, dir: dir, store: st}
}

func connect(t *testing.T, srv *natsserver.Server, seedFile string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	auth, err := natsauth.ConnectOption(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	return natstest.Connect(t, srv, append(opts, auth)...)
}

func (b bus) agent(t *testing.T, host string) *nats.Conn {
	return connect(t, b.srv, b.dir.HostSeedFile(host), nats.CustomInboxPrefix(natsauth.AgentInbox(host)))
}

func short(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (b bus) append(t *testing.T, e events.Event) {
	t.Helper()
	if _, err := b.store.Append(context.Background(), e.Aggregate(), events.ExpectAny, []events.Event{e}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

// eventCount is how many events match filter in the log.
func (b bus) last(t *testing.T, filter string) uint64 {
	t.Helper()
	seq, err := b.store.LastSequence(context.Background(), filter)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestUnauthenticatedClientIsRefused(t *testing.T) {
	b := closedBus(t)
	_, err := nats.Connect(b.srv.ClientURL(), nats.MaxReconnects(0))
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("connect without credentials: %v, want an authorization violation", err)
	}
	// A key the server does not know is refused as well.
	seed, _, err := natsauth.NewUser()
	if err != nil {
		t.Fatal(err)
	}
	stranger := filepath.Join(t.TempDir(), "stranger.nk")
	if err := natsauth.WriteSecret(stranger, seed); err != nil {
		t.Fatal(err)
	}
	auth, _ := natsauth.ConnectOption(stranger)
	if _, err := nats.Connect(b.srv.ClientURL(), auth, nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("connect with an unknown key: %v, want an authorization violation", err)
	}
}

// The attacks of issue 10, each with an agent's own credential.
func TestAgentCredentialCannotWriteEventsOrRoutes(t *testing.T) {
	b := closedBus(t)
	b.append(t, events.AppDeployed{App: "web", Spec: events.Spec{Image: "img", Env: map[string]string{"SECRET": "xyz"}}})
	js, err := jetstream.New(b.agent(t, "h1"))
	if err != nil {
		t.Fatal(err)
	}
	before := b.last(t, events.AllSubjects)

	forged := map[string]events.Event{
		"app command":                          events.AppStopped{App: "web"},
		"health failure":                       events.InstanceHealthFailed{App: "web", Instance: "web-1", Reason: "forged"},
		"fact straight to the log":             events.InstanceExited{App: "web", Instance: "web-1", Host: "h1"},
		"another host's registration":          events.HostRegistered{Host: "h2", Addr: "10.6.6.6"},
		"own host event, bypassing the intake": events.HostLost{Host: "h1"},
	}
	for name, e := range forged {
		env, _ := events.Wrap(e, "attacker", "", time.Now())
		body, _ := jsonMarshal(env)
		if _, err := js.Publish(short(t), e.Aggregate().Subject(e.Kind()), body); err == nil {
			t.Errorf("%s: published", name)
		}
	}
	if after := b.last(t, events.AllSubjects); after != before {
		t.Fatalf("event log moved from %d to %d under an agent's credential", before, after)
	}

	// Another host's fact subject.
	if _, err := js.Publish(short(t), "berth.facts.h2.app.web.instance_exited", []byte("{}")); err == nil {
		t.Error("claimed a fact on h2's subject")
	}
	// The routing buckets, the port claims and another host's heartbeat.
	for _, w := range []struct{ bucket, key string }{
		{events.BucketRoutes, "web"},
		{events.BucketEndpoints, "web.web-1"},
		{events.BucketPorts, "h1.20001"},
		{events.BucketHeartbeats, "h2"},
	} {
		if _, err := js.Publish(short(t), "$KV."+w.bucket+"."+w.key, []byte(`{"addr":"10.6.6.6:80"}`)); err == nil {
			t.Errorf("wrote %s/%s", w.bucket, w.key)
		}
		if _, err := b.store.JetStream().KeyValue(context.Background(), w.bucket); err != nil {
			t.Fatal(err)
		}
		kv, _ := b.store.JetStream().KeyValue(context.Background(), w.bucket)
		if _, err := kv.Get(context.Background(), w.key); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("%s/%s holds a value after the attack: %v", w.bucket, w.key, err)
		}
	}
	// Its own heartbeat it may write.
	if _, err := js.Publish(short(t), "$KV."+events.BucketHeartbeats+".h1", []byte(`{"host":"h1"}`)); err != nil {
		t.Errorf("own heartbeat refused: %v", err)
	}
}

func TestAgentCredentialReadsOnlyItsOwnWork(t *testing.T) {
	b := closedBus(t)
	secret := events.AppDeployed{App: "web", Spec: events.Spec{Image: "img", Env: map[string]string{"SECRET": "xyz"}}}
	b.append(t, secret)
	var mu sync.Mutex
	var asyncErrs []string
	nc := connect(t, b.srv, b.dir.HostSeedFile("h1"), nats.CustomInboxPrefix(natsauth.AgentInbox("h1")),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			mu.Lock()
			asyncErrs = append(asyncErrs, err.Error())
			mu.Unlock()
		}))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// The event log: no stream info, no consumer, no direct read.
	if _, err := js.Stream(short(t), events.StreamName); err == nil {
		t.Error("agent saw the event stream")
	}
	if _, err := js.OrderedConsumer(short(t), events.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.AllSubjects}}); err == nil {
		t.Error("agent created a consumer on the event log")
	}
	if _, err := nc.Request("$JS.API.DIRECT.GET."+events.StreamName+".berth.events.app.web.deployed", nil, time.Second); err == nil {
		t.Error("agent direct-read the event log")
	}
	// Live subjects and other clients' replies.
	var subs []*nats.Subscription
	for _, subj := range []string{events.AllSubjects, "_INBOX.>", ">", hostbus.AssignPrefix + ".>"} {
		sub, err := nc.SubscribeSync(subj)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
		natstest.Eventually(t, 10*time.Second, "subscription to "+subj+" refused", func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, e := range asyncErrs {
				if strings.Contains(e, `Subscription to "`+subj+`"`) {
					return true
				}
			}
			return false
		})
	}
	b.append(t, secret)
	b.append(t, events.InstanceScheduled{App: "web", Instance: "web-2", Host: "h2", Env: secret.Env})
	if err := b.store.JetStream().Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		if m, err := sub.NextMsg(100 * time.Millisecond); err == nil {
			t.Errorf("refused subscription %s received %s", sub.Subject, m.Subject)
		}
	}
	// Another host's assignments.
	assign, err := js.Stream(short(t), hostbus.AssignStream)
	if err != nil {
		t.Fatalf("own assignment stream: %v", err)
	}
	if _, err := assign.OrderedConsumer(short(t), jetstream.OrderedConsumerConfig{FilterSubjects: []string{hostbus.AssignFilter("h2")}}); err == nil {
		t.Error("h1 created a consumer on h2's assignments")
	}
	if _, err := assign.GetMsg(short(t), 1); err == nil {
		t.Error("h1 read an assignment by sequence")
	}
	// Its own: allowed.
	if _, err := hostbus.Attach(short(t), js, "h1"); err != nil {
		t.Fatalf("attach own bus: %v", err)
	}
	if _, err := assign.OrderedConsumer(short(t), jetstream.OrderedConsumerConfig{FilterSubjects: []string{hostbus.AssignFilter("h1")}}); err != nil {
		t.Errorf("own assignments: %v", err)
	}
}

func TestIntegratorReadsEventsAndWritesNothing(t *testing.T) {
	b := closedBus(t)
	nc := connect(t, b.srv, filepath.Join(b.dir.Dir, "integrators", "dash.nk"), nats.CustomInboxPrefix(natsauth.IntegratorInbox("dash")))
	sub, err := nc.SubscribeSync(events.App("web").Filter())
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	b.append(t, events.AppScaled{App: "web", Replicas: 2})
	msg, err := sub.NextMsg(10 * time.Second)
	if err != nil || !strings.HasSuffix(msg.Subject, ".scaled") {
		t.Fatalf("integrator live read: %v %v", msg, err)
	}
	js, _ := jetstream.New(nc)
	if _, err := js.OrderedConsumer(short(t), events.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.AllSubjects}}); err != nil {
		t.Errorf("integrator replay: %v", err)
	}
	before := b.last(t, events.AllSubjects)
	if _, err := js.Publish(short(t), events.App("web").Subject("stopped"), []byte("{}")); err == nil {
		t.Error("integrator published an event")
	}
	if after := b.last(t, events.AllSubjects); after != before {
		t.Fatal("event log moved under an integrator's credential")
	}
}

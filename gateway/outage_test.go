package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/routing"
)

func TestServesCachedRoutesThroughNATSOutage(t *testing.T) {
	c := startCluster(t)
	g := startGateway(t, c.kvSource(t), gateway.Config{})
	web := startBackend(t, "127.0.0.2", "web", nil)
	c.putEndpoint(t, web.endpoint("web"))
	eventually(t, 10*time.Second, "web routed", func() bool {
		return g.get(t, "web.localhost", "/").status == http.StatusOK
	})

	c.nats.Shutdown()
	if got := g.spread(t, "web.localhost", 20); got["web"] != 20 {
		t.Fatalf("with NATS down: %v, want the cached route to serve all 20", got)
	}

	c.nats.Restart()
	api := startBackend(t, "127.0.0.3", "api", nil)
	// The test's own client reconnects too; retry the put until it does.
	eventually(t, 20*time.Second, "put after restart", func() bool {
		// Short attempts: an ack lost to the reconnect would otherwise
		// hold the test for the client's whole default timeout.
		ctx, cancel := context.WithTimeout(t.Context(), 250*time.Millisecond)
		defer cancel()
		_, err := c.endpoints.Put(ctx, "api.api-1", mustJSON(t, api.endpoint("api")))
		return err == nil
	})
	took := eventually(t, 20*time.Second, "change after restart reaches routing", func() bool {
		return g.get(t, "api.localhost", "/").body == "api"
	})
	t.Logf("routed the new app %v after its key was put", took)
	c.putRoute(t, routing.Route{App: "web", Domains: []string{"web.example"}})
	eventually(t, 20*time.Second, "route change after restart reaches routing", func() bool {
		return g.get(t, "web.example", "/").body == "web"
	})
	if r := g.get(t, "web.localhost", "/"); r.status != http.StatusOK {
		t.Errorf("web after restart = %d, want 200", r.status)
	}
}

package gateway_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/routing"
)

// BenchmarkGatewayProxy compares GETs through the gateway with GETs straight
// to the backend, over kept-alive connections; "gateway-weighted" splits
// the app 10/90 between two releases, one endpoint each.
func BenchmarkGatewayProxy(b *testing.B) {
	body := []byte("hello from the backend\n")
	var backends []routing.Endpoint
	for i, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		be := startBackend(b, ip, string(rune('a'+i)), func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) })
		backends = append(backends, be.endpoint("web"))
	}
	table, _ := routing.Build(nil, backends)
	g := startGateway(b, gateway.Static(table), gateway.Config{})
	releases := []routing.Endpoint{backends[0], backends[1]}
	releases[0].Release, releases[1].Release = 7, 6
	weighted, _ := routing.Build([]routing.Route{{App: "web", Weights: []routing.Weight{{Release: 7, Weight: 10}, {Release: 6, Weight: 90}}}}, releases)
	gw := startGateway(b, gateway.Static(weighted), gateway.Config{})
	for len(g.Table().Apps()) == 0 || len(gw.Table().Apps()) == 0 {
		time.Sleep(time.Millisecond)
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	run := func(b *testing.B, url, host string) {
		b.ReportAllocs()
		b.SetParallelism(8)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Host = host
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	}
	b.Run("direct", func(b *testing.B) { run(b, "http://"+backends[0].Addr+"/", "web.localhost") })
	b.Run("gateway", func(b *testing.B) { run(b, g.url+"/", "web.localhost") })
	b.Run("gateway-weighted", func(b *testing.B) { run(b, gw.url+"/", "web.localhost") })
}

package gateway_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/routing"
)

// The audit's attack: 1,000 connections trickling a request body held
// 2,052 descriptors and 1,003 backend connections for a minute. Now one
// address holds at most MaxConnsPerClient connections, a stalled body is
// cut off after BodyReadTimeout (releasing the backend), and other
// clients are served throughout.
func TestSlowBodyClientsAreBoundedAndCutOff(t *testing.T) {
	var inFlight atomic.Int64
	be := startBackend(t, "127.0.0.1", "b1", func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	})
	table, _ := routing.Build(nil, []routing.Endpoint{be.endpoint("web")})
	const maxPerClient, attackers = 20, 100
	g := startGateway(t, gateway.Static(table), gateway.Config{
		MaxConnsPerClient: maxPerClient, BodyReadTimeout: 300 * time.Millisecond, ReadTimeout: time.Minute})
	addr := g.url[len("http://"):]

	// 100 clients from 127.0.0.1 each send headers and one byte of a
	// 1 MB body, then stall.
	var conns []net.Conn
	for range attackers {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		_, _ = io.WriteString(c, "POST / HTTP/1.1\r\nHost: web.localhost\r\nContent-Length: 1000000\r\n\r\nx")
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	eventually(t, 10*time.Second, "connections over the cap refused", func() bool {
		return g.RefusedConns() >= attackers-maxPerClient
	})

	// Another address is served meanwhile.
	other := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}}
	req, _ := http.NewRequest("GET", g.url+"/", nil)
	req.Host = "web.localhost"
	resp, err := other.Do(req)
	if err != nil {
		t.Fatalf("another client while under attack: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("another client while under attack: %d", resp.StatusCode)
	}

	// Every stalled connection is answered or closed by the gateway, and
	// the backend holds no request for them any more.
	for i, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := bufio.NewReader(c).ReadString('\n')
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("stalled connection %d still open after the body timeout", i)
		}
	}
	eventually(t, 10*time.Second, "backend requests of stalled bodies released", func() bool {
		return inFlight.Load() == 0
	})
}

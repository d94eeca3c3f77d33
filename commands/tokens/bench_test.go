package tokens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/tokens"
	"github.com/berth-dev/berth/events/natstest"
)

// BenchmarkCommandPath runs the real scale command over HTTP (decode,
// decide, append to a real JetStream) with authorization off (an open
// API) and on (a deployer token: parse, hash, look up, route capability,
// actor on the event), side by side in one run.
func BenchmarkCommandPath(b *testing.B) {
	for _, mode := range []string{"auth-off", "auth-on"} {
		b.Run(mode, func(b *testing.B) {
			store := natstest.Store(b, "bench")
			boot := ""
			if mode == "auth-on" {
				boot = bootstrap
			}
			reg := tokens.NewRegistry(boot)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = reg.Run(ctx, store) }()
			b.Cleanup(func() { cancel(); <-done })
			<-reg.Ready()
			mux := http.NewServeMux()
			commands.NewHandler(store, "bench").Routes(mux)
			tokens.NewAPI(store, reg).Routes(mux)
			srv := httptest.NewServer(tokens.Middleware(reg, mux, mux))
			b.Cleanup(srv.Close)
			post := func(token, path, body string, out any) int {
				req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewBufferString(body))
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				if out != nil {
					_ = json.NewDecoder(resp.Body).Decode(out)
				} else {
					_, _ = io.Copy(io.Discard, resp.Body)
				}
				return resp.StatusCode
			}
			token := ""
			if mode == "auth-on" {
				var created tokens.Created
				if code := post(bootstrap, "/v1/tokens", `{"name":"ci","role":"deployer"}`, &created); code != http.StatusCreated {
					b.Fatalf("create token: %d", code)
				}
				token = created.Token
			}
			if code := post(token, "/v1/apps/web/deploy", `{"image":"img","replicas":0}`, nil); code != http.StatusCreated {
				b.Fatalf("deploy: %d", code)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if code := post(token, "/v1/apps/web/scale", fmt.Sprintf(`{"replicas":%d}`, i%2+1), nil); code != http.StatusCreated {
					b.Fatalf("scale: %d", code)
				}
			}
		})
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// app holds the testapp's state: identity, the health switch and memory held by /alloc.
type app struct {
	cfg      config
	hostname string
	out      *lockedWriter
	log      *slog.Logger
	exit     func(code int)

	unhealthy atomic.Bool
	served    atomic.Int64
	ticker    *ticker // nil unless TESTAPP_LOG_EVERY is set

	mu    sync.Mutex
	alloc [][]byte
}

func newApp(cfg config, stdout io.Writer, exit func(int)) *app {
	host, _ := os.Hostname()
	out := &lockedWriter{w: stdout}
	return &app{
		cfg:      cfg,
		hostname: host,
		out:      out,
		log:      slog.New(slog.NewTextHandler(out, nil)),
		exit:     exit,
	}
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.identity)
	mux.HandleFunc("GET /_ping", a.ping)
	mux.HandleFunc("GET /log", a.logLines)
	mux.HandleFunc("GET /exit", a.exitWith)
	mux.HandleFunc("GET /fail-health", a.failHealth)
	mux.HandleFunc("GET /alloc", a.allocate)
	mux.HandleFunc("GET /ticks", a.ticks)
	mux.HandleFunc("GET /ticks/stop", a.stopTicks)
	return a.logRequests(a.slowDown(mux))
}

// identity answers who served the request; tests use it to tell instances apart.
func (a *app) identity(w http.ResponseWriter, _ *http.Request) {
	if a.cfg.FailRate > 0 {
		// Fail evenly: request n fails when floor(n*rate) steps up.
		n := a.served.Add(1)
		if int64(float64(n)*a.cfg.FailRate) > int64(float64(n-1)*a.cfg.FailRate) {
			http.Error(w, "failing as TESTAPP_FAIL_RATE asks", http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"app":      a.cfg.App,
		"instance": a.cfg.Instance,
		"host":     a.cfg.HostIP,
		"hostname": a.hostname,
		"version":  a.cfg.Version,
	})
}

func (a *app) ping(w http.ResponseWriter, _ *http.Request) {
	if a.unhealthy.Load() {
		http.Error(w, "unhealthy", http.StatusInternalServerError)
		return
	}
	fmt.Fprint(w, "ok")
}

func (a *app) failHealth(w http.ResponseWriter, _ *http.Request) {
	a.unhealthy.Store(true)
	fmt.Fprint(w, "health checks will fail from now on")
}

func (a *app) logLines(w http.ResponseWriter, r *http.Request) {
	line := r.URL.Query().Get("line")
	n, err := intParam(r, "n", 1)
	if err != nil || n < 0 {
		http.Error(w, "n: want a non-negative integer", http.StatusBadRequest)
		return
	}
	for range n {
		a.out.println(line)
	}
	fmt.Fprintf(w, "logged %d lines\n", n)
}

func (a *app) exitWith(w http.ResponseWriter, r *http.Request) {
	code, err := intParam(r, "code", 0)
	if err != nil {
		http.Error(w, "code: want an integer", http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "exiting with code %d\n", code)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	a.log.Info("exiting on request", "code", code)
	a.exit(code)
}

// allocate holds mb more MiB and touches every page so it counts against the memory limit.
func (a *app) allocate(w http.ResponseWriter, r *http.Request) {
	mb, err := intParam(r, "mb", 0)
	if err != nil || mb < 0 {
		http.Error(w, "mb: want a non-negative integer", http.StatusBadRequest)
		return
	}
	buf := make([]byte, mb<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	a.mu.Lock()
	a.alloc = append(a.alloc, buf)
	total := 0
	for _, b := range a.alloc {
		total += len(b)
	}
	a.mu.Unlock()
	fmt.Fprintf(w, "holding %d MiB\n", total>>20)
}

// slowDown applies ?burn=MS (busy CPU) and ?delay=MS (sleep) before any handler.
func (a *app) slowDown(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		burn, err := intParam(r, "burn", 0)
		if err != nil {
			http.Error(w, "burn: want milliseconds", http.StatusBadRequest)
			return
		}
		delay, err := intParam(r, "delay", 0)
		if err != nil {
			http.Error(w, "delay: want milliseconds", http.StatusBadRequest)
			return
		}
		burnCPU(time.Duration(burn) * time.Millisecond)
		if delay > 0 {
			select {
			case <-time.After(time.Duration(delay) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (a *app) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		a.log.Info("request", "method", r.Method, "uri", r.URL.RequestURI(),
			"status", rec.status, "remote", r.RemoteAddr, "dur", time.Since(start))
	})
}

var burnSink uint64

func burnCPU(d time.Duration) {
	deadline := time.Now().Add(d)
	x := uint64(1)
	for time.Now().Before(deadline) {
		for i := 0; i < 10000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	atomic.AddUint64(&burnSink, x)
}

func intParam(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(v)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// lockedWriter keeps concurrent log lines whole.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) println(s string) {
	_, _ = l.Write([]byte(s + "\n"))
}

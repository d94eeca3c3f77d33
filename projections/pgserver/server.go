package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Server is a running cluster.
type Server struct {
	cfg       Config
	r         *runner
	port      int
	sockDir   string
	tempSock  bool
	watchdog  *watchdog
	stopOnce  sync.Once
	stopError error
}

// Start initialises the cluster in cfg.DataDir if needed, recovers it from an
// unclean stop, starts it and makes sure database Database exists.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pgserver config: %w", err)
	}
	binDir, err := findBinDir(cfg.BinDir)
	if err != nil {
		return nil, err
	}
	r, err := newRunner(binDir)
	if err != nil {
		return nil, err
	}
	if cfg.DataDir, err = prepareDataDir(r, cfg.DataDir); err != nil {
		return nil, err
	}
	legacy := cfg.legacy()
	if err := initCluster(ctx, r, cfg); err != nil {
		return nil, err
	}
	if err := recoverStale(ctx, r, cfg); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, r: r}
	if s.sockDir, s.tempSock, err = socketDir(r, cfg); err != nil {
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		s.removeTempSock()
		return nil, err
	}
	if legacy {
		if err := s.secureLegacy(ctx); err != nil {
			return nil, errors.Join(err, s.Stop(context.WithoutCancel(ctx)))
		}
	}
	if err := s.setupRoles(ctx, Database); err != nil {
		return nil, errors.Join(err, s.Stop(context.WithoutCancel(ctx)))
	}
	if cfg.StopWithParent {
		if s.watchdog, err = startWatchdog(r, cfg); err != nil {
			return nil, errors.Join(err, s.Stop(context.WithoutCancel(ctx)))
		}
	}
	return s, nil
}

// prepareDataDir creates dir, hands it to the cluster owner and returns its
// resolved absolute path (the form /proc shows as a postgres working dir).
func prepareDataDir(r *runner, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	dir, err := filepath.Abs(dir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return "", fmt.Errorf("resolve data dir: %w", err)
	}
	return dir, r.own(dir)
}

// start runs pg_ctl start, retrying on another free port if ours was taken.
func (s *Server) start(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		s.port = s.cfg.Port
		if s.port == 0 {
			if s.port, err = freePort(); err != nil {
				return err
			}
		}
		if err = writeConf(s.r, s.cfg, s.port, s.sockDir); err != nil {
			return err
		}
		err = s.r.run(ctx, s.cfg.DataDir, "pg_ctl", "start", "-w", "-t", "60",
			"-D", s.cfg.pgdata(), "-l", s.cfg.logFile())
		if err == nil || s.cfg.Port != 0 || !strings.Contains(logTail(s.cfg.logFile()), "in use") {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("start postgres: %w\n%s", err, logTail(s.cfg.logFile()))
	}
	return nil
}

// DSN addresses database Database over TCP as AppRole, with its password.
func (s *Server) DSN() string { return s.DSNFor(Database) }

// DSNFor addresses the named database over TCP as AppRole.
func (s *Server) DSNFor(database string) string {
	pw, _ := s.cfg.password(appPasswordFile)
	return s.dsn(AppRole, pw, database)
}

// AdminDSN addresses the named database as Superuser: for setting up
// databases and roles (tests), never for Berth itself.
func (s *Server) AdminDSN(database string) string {
	pw, _ := s.cfg.password(adminPasswordFile)
	return s.dsn(Superuser, pw, database)
}

// PasswordFile is the file holding AppRole's password.
func (s *Server) PasswordFile() string { return s.cfg.passwordPath(appPasswordFile) }

func (s *Server) dsn(role, password, database string) string {
	user := url.User(role)
	if password != "" {
		user = url.UserPassword(role, password)
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     user,
		Host:     net.JoinHostPort("127.0.0.1", fmt.Sprint(s.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port is the TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// SocketDir is the directory holding the unix socket.
func (s *Server) SocketDir() string { return s.sockDir }

// DataDir is the resolved absolute data directory.
func (s *Server) DataDir() string { return s.cfg.DataDir }

// Stop shuts the cluster down (fast mode: open sessions are cut). Safe to call twice.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.watchdog.disarm()
		s.stopError = stopCluster(ctx, s.r, s.cfg)
		s.removeTempSock()
	})
	return s.stopError
}

func (s *Server) removeTempSock() {
	if s.tempSock {
		os.RemoveAll(s.sockDir)
	}
}

// stopCluster stops a running cluster; one that is not running is fine.
func stopCluster(ctx context.Context, r *runner, c Config) error {
	err := r.run(ctx, c.DataDir, "pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", c.pgdata())
	if err != nil {
		if _, statErr := os.Stat(filepath.Join(c.pgdata(), "postmaster.pid")); errors.Is(statErr, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("stop postgres: %w", err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the end of the server log for error messages.
func logTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

package pgserver

import (
	"errors"
	"fmt"
	"path/filepath"
)

// The roles and database every cluster gets: Superuser sets it up, Berth
// connects as AppRole, which owns Database and is not a superuser.
const (
	Superuser = "berth_admin"
	AppRole   = "berth"
	Database  = "berth"
)

// Config says where the cluster lives and how to reach it.
type Config struct {
	// DataDir holds the cluster (pgdata/), its log and, if short enough, its socket.
	// An initialised DataDir is reused, so data survives restarts.
	DataDir string
	// Port on 127.0.0.1; 0 picks a free one at each start.
	Port int
	// BinDir holds initdb, pg_ctl and postgres; empty means $BERTH_PG_BIN,
	// else the newest /usr/lib/postgresql/*/bin, else $PATH.
	BinDir string
	// NoSync turns fsync off (initdb and server). Only for throwaway test clusters:
	// an OS crash can corrupt the data.
	NoSync bool
	// StopWithParent starts a watchdog that stops the cluster once this process
	// exits, even if it crashes, so test binaries never leak a server. Keep the
	// *Server reachable: the watchdog also fires if it is garbage collected.
	StopWithParent bool
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir is required"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d out of range", c.Port))
	}
	return errors.Join(errs...)
}

func (c Config) pgdata() string  { return filepath.Join(c.DataDir, "pgdata") }
func (c Config) logFile() string { return filepath.Join(c.DataDir, "postgres.log") }

// initMarker is written once initdb and our configuration succeeded; a data
// dir without it holds a half-made cluster that is safe to redo.
func (c Config) initMarker() string { return filepath.Join(c.DataDir, "initialised") }

package readapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// Instance is one instance of an app, live or gone.
type Instance struct {
	ID          string     `json:"id" db:"id"`
	App         string     `json:"app" db:"app"`
	Version     int        `json:"version" db:"version"`
	Host        string     `json:"host" db:"host"`
	HostAddr    string     `json:"host_addr" db:"host_addr"`
	HostPort    int        `json:"host_port" db:"host_port"`
	Image       string     `json:"image" db:"image"`
	CPUs        float64    `json:"cpus" db:"cpus"`
	MemoryBytes int64      `json:"memory_bytes" db:"memory_bytes"`
	State       string     `json:"state" db:"state"`
	ContainerID string     `json:"container_id" db:"container_id"`
	ExitCode    *int       `json:"exit_code" db:"exit_code"`
	OOMKilled   bool       `json:"oom_killed" db:"oom_killed"`
	Error       string     `json:"error" db:"error"`
	Reason      string     `json:"reason" db:"reason"`
	ScheduledAt time.Time  `json:"scheduled_at" db:"scheduled_at"`
	StartedAt   *time.Time `json:"started_at" db:"started_at"`
	ExitedAt    *time.Time `json:"exited_at" db:"exited_at"`
	StoppedAt   *time.Time `json:"stopped_at" db:"stopped_at"`
	UpdatedAt   time.Time  `json:"updated_at" db:"updated_at"`
}

// Instances lists an app's instances that hold a place on their host
// (placedStates), or with all every instance it ever had; oldest first.
func (a *API) Instances(ctx context.Context, app string, all bool) ([]Instance, error) {
	if err := a.known(ctx, app); err != nil {
		return nil, err
	}
	rows, err := a.db.Query(ctx, `SELECT id, app, version, host, host_addr, host_port, image, cpus, memory_bytes,
		state, container_id, exit_code, oom_killed, error, reason, scheduled_at, started_at, exited_at, stopped_at, updated_at
		FROM instances WHERE app = $1 AND ($2 OR state = ANY($3)) ORDER BY scheduled_at, id`, app, all, placedStates)
	if err != nil {
		return nil, fmt.Errorf("list instances of %s: %w", app, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Instance])
	if err != nil {
		return nil, fmt.Errorf("list instances of %s: %w", app, err)
	}
	return out, nil
}

func (a *API) listInstances(r *http.Request) (any, error) {
	all, err := flag(r, "all")
	if err != nil {
		return nil, err
	}
	return a.Instances(r.Context(), r.PathValue("app"), all)
}

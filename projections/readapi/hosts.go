package readapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// Host is a registered host: capacity, what the instances holding a place
// on it use (placedStates), labels and state.
type Host struct {
	ID              string            `json:"id" db:"id"`
	Addr            string            `json:"addr" db:"addr"`
	Zone            string            `json:"zone" db:"zone"`
	Labels          map[string]string `json:"labels" db:"labels"`
	State           string            `json:"state" db:"state"`
	CPUs            float64           `json:"cpus" db:"cpus"`
	MemoryBytes     int64             `json:"memory_bytes" db:"memory_bytes"`
	UsedCPUs        float64           `json:"used_cpus" db:"used_cpus"`
	UsedMemoryBytes int64             `json:"used_memory_bytes" db:"used_memory_bytes"`
	Instances       int               `json:"instances" db:"instances"`
	PortMin         int               `json:"port_min" db:"port_min"`
	PortMax         int               `json:"port_max" db:"port_max"`
	RegisteredAt    time.Time         `json:"registered_at" db:"registered_at"`
	LostAt          *time.Time        `json:"lost_at" db:"lost_at"`
	LastSeen        *time.Time        `json:"last_seen" db:"last_seen"`
}

// Hosts lists every host by id.
func (a *API) Hosts(ctx context.Context) ([]Host, error) {
	rows, err := a.db.Query(ctx, `SELECT h.id, h.addr, h.zone, h.labels, h.state, h.cpus, h.memory_bytes,
		COALESCE(u.cpus, 0) AS used_cpus, COALESCE(u.memory_bytes, 0) AS used_memory_bytes, COALESCE(u.n, 0) AS instances,
		h.port_min, h.port_max, h.registered_at, h.lost_at, h.last_seen
		FROM hosts h LEFT JOIN (
			SELECT host, sum(cpus) AS cpus, sum(memory_bytes)::bigint AS memory_bytes, count(*)::int AS n
			FROM instances WHERE state = ANY($1) GROUP BY host
		) u ON u.host = h.id
		ORDER BY h.id`, placedStates)
	if err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Host])
	if err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	return out, nil
}

func (a *API) listHosts(r *http.Request) (any, error) {
	return a.Hosts(r.Context())
}

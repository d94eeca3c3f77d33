package projections

import "github.com/berth-dev/berth/events"

// instances keeps every instance an app ever had, with the state the
// command side would give it (appstate.App.apply); stopped instances stay,
// in state "stopped".
var instances = projector{name: InstancesProjector, tables: []string{"instances"}, fold: foldInstances}

// Transitions mirror the command side's: a fact that arrives late (a start
// after the instance was unscheduled) records its details but does not
// revive the instance.
func foldInstances(r events.Recorded) ([]statement, error) {
	var (
		sql  string
		args []any
	)
	switch e := r.Event.(type) {
	case events.InstanceScheduled:
		sql = `INSERT INTO instances (id, app, version, host, host_addr, host_port, image, cpus, memory_bytes,
				state, scheduled_at, updated_at, seq)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'scheduled', $10, $10, $11)
			ON CONFLICT (id) DO UPDATE SET app = EXCLUDED.app, version = EXCLUDED.version, host = EXCLUDED.host,
				host_addr = EXCLUDED.host_addr, host_port = EXCLUDED.host_port, image = EXCLUDED.image,
				cpus = EXCLUDED.cpus, memory_bytes = EXCLUDED.memory_bytes, state = 'scheduled',
				container_id = '', exit_code = NULL, oom_killed = false, error = '', reason = '',
				scheduled_at = EXCLUDED.scheduled_at, started_at = NULL, exited_at = NULL, stopped_at = NULL,
				updated_at = EXCLUDED.updated_at, seq = EXCLUDED.seq`
		args = []any{e.Instance, e.App, e.Version, e.Host, e.HostAddr, e.HostPort, e.Image, e.CPUs, e.MemoryBytes, r.Time, seq(r)}
	case events.InstanceStarted:
		sql = `UPDATE instances SET container_id = $2, started_at = $3,
			state = CASE WHEN state = 'scheduled' THEN 'running' ELSE state END,
			updated_at = $3, seq = $4 WHERE id = $1`
		args = []any{e.Instance, e.ContainerID, r.Time, seq(r)}
	case events.EndpointRegistered:
		sql = `UPDATE instances SET state = 'healthy', updated_at = $2, seq = $3
			WHERE id = $1 AND state = 'running'`
		args = []any{e.Instance, r.Time, seq(r)}
	case events.InstanceHealthFailed:
		sql = `UPDATE instances SET state = 'unhealthy', reason = $2, updated_at = $3, seq = $4
			WHERE id = $1 AND state IN ('scheduled', 'running', 'healthy')`
		args = []any{e.Instance, e.Reason, r.Time, seq(r)}
	case events.InstanceExited:
		sql = `UPDATE instances SET exit_code = $2, oom_killed = $3, error = $4, exited_at = $5,
			state = CASE WHEN state IN ('scheduled', 'running', 'healthy', 'unhealthy') THEN 'exited' ELSE state END,
			updated_at = $5, seq = $6 WHERE id = $1`
		args = []any{e.Instance, e.ExitCode, e.OOMKilled, e.Error, r.Time, seq(r)}
	case events.InstanceUnscheduled:
		sql = `UPDATE instances SET state = 'unscheduled', reason = $2, updated_at = $3, seq = $4
			WHERE id = $1 AND state IN ('scheduled', 'running', 'healthy', 'unhealthy', 'exited')`
		args = []any{e.Instance, e.Reason, r.Time, seq(r)}
	case events.InstanceStopped:
		sql = `UPDATE instances SET state = 'stopped', stopped_at = $2, updated_at = $2, seq = $3 WHERE id = $1`
		args = []any{e.Instance, r.Time, seq(r)}
	default:
		return nil, nil
	}
	return []statement{stmt(sql, args...)}, nil
}

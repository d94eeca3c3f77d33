-- Read models folded from the BERTH_EVENTS stream by package projections.
-- Every column derives from events (times are event times), so a rebuild
-- reproduces the same rows. Projections own these tables: never write to
-- them from elsewhere.

-- +goose Up
CREATE TABLE apps (
    name                      text PRIMARY KEY,
    image                     text        NOT NULL,
    version                   integer     NOT NULL,
    replicas                  integer     NOT NULL,
    spec                      jsonb       NOT NULL,
    status                    text        NOT NULL CHECK (status IN ('running', 'stopped')),
    domains                   text[]      NOT NULL DEFAULT '{}',
    deny                      text[]      NOT NULL DEFAULT '{}',
    -- NULL when the app has no autoscaling policy.
    autoscale                 jsonb,
    -- Reasons of the last PlacementFailed; emptied once an instance is placed.
    placement_failure_reasons text[]      NOT NULL DEFAULT '{}',
    placement_unplaced        integer     NOT NULL DEFAULT 0,
    placement_failed_at       timestamptz,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    -- Stream sequence of the last event that changed the row.
    seq                       bigint      NOT NULL
);

CREATE TABLE instances (
    id            text PRIMARY KEY,
    app           text             NOT NULL,
    version       integer          NOT NULL,
    host          text             NOT NULL,
    host_addr     text             NOT NULL,
    host_port     integer          NOT NULL,
    image         text             NOT NULL,
    cpus          double precision NOT NULL DEFAULT 0,
    memory_bytes  bigint           NOT NULL DEFAULT 0,
    state         text             NOT NULL CHECK (state IN
                  ('scheduled', 'running', 'healthy', 'unhealthy', 'exited', 'unscheduled', 'stopped')),
    container_id  text             NOT NULL DEFAULT '',
    exit_code     integer,
    oom_killed    boolean          NOT NULL DEFAULT false,
    error         text             NOT NULL DEFAULT '',
    reason        text             NOT NULL DEFAULT '',
    scheduled_at  timestamptz      NOT NULL,
    started_at    timestamptz,
    exited_at     timestamptz,
    stopped_at    timestamptz,
    updated_at    timestamptz      NOT NULL,
    seq           bigint           NOT NULL
);
CREATE INDEX instances_app ON instances (app, state);
CREATE INDEX instances_host ON instances (host, state);

CREATE TABLE hosts (
    id            text PRIMARY KEY,
    addr          text             NOT NULL,
    zone          text             NOT NULL DEFAULT '',
    labels        jsonb            NOT NULL DEFAULT '{}',
    cpus          double precision NOT NULL,
    memory_bytes  bigint           NOT NULL,
    port_min      integer          NOT NULL,
    port_max      integer          NOT NULL,
    state         text             NOT NULL CHECK (state IN ('ready', 'lost')),
    registered_at timestamptz      NOT NULL,
    lost_at       timestamptz,
    last_seen     timestamptz,
    seq           bigint           NOT NULL
);

-- Healthy instances taking traffic.
CREATE TABLE endpoints (
    instance      text PRIMARY KEY,
    app           text        NOT NULL,
    host          text        NOT NULL,
    addr          text        NOT NULL,
    registered_at timestamptz NOT NULL,
    seq           bigint      NOT NULL
);
CREATE INDEX endpoints_app ON endpoints (app);

-- Every event of every app (instance events and autoscale decisions
-- included), as CloudEvents attributes plus data.
CREATE TABLE app_events (
    seq             bigint PRIMARY KEY,
    app             text        NOT NULL,
    type            text        NOT NULL,
    time            timestamptz NOT NULL,
    source          text        NOT NULL,
    id              text        NOT NULL,
    idempotency_key text        NOT NULL DEFAULT '',
    data            jsonb       NOT NULL
);
CREATE INDEX app_events_app ON app_events (app, seq);

-- Last stream sequence each projector applied, written in the same
-- transaction as its rows.
CREATE TABLE projection_checkpoints (
    projector text PRIMARY KEY,
    seq       bigint NOT NULL
);

-- Events a projector could not apply and skipped (undecodable, unknown
-- type, or data Postgres refuses), so they are visible instead of lost.
CREATE TABLE projection_skipped (
    projector  text        NOT NULL,
    seq        bigint      NOT NULL,
    subject    text        NOT NULL,
    reason     text        NOT NULL,
    body       bytea       NOT NULL,
    skipped_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projector, seq)
);

-- +goose Down
DROP TABLE projection_skipped;
DROP TABLE projection_checkpoints;
DROP TABLE app_events;
DROP TABLE endpoints;
DROP TABLE hosts;
DROP TABLE instances;
DROP TABLE apps;

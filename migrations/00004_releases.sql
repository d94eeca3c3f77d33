-- Releases and rollouts (issue 9), folded by the proj-releases and
-- proj-rollouts projectors. As in 00001, every column derives from events,
-- so a rebuild reproduces the same rows. Numbered 00009 rather than the next
-- free number so that parallel branches adding migrations don't collide.

-- +goose Up
-- One row per release: version N of an app, with its full spec.
CREATE TABLE releases (
    app             text        NOT NULL,
    version         integer     NOT NULL,
    image           text        NOT NULL,
    spec            jsonb       NOT NULL,
    created_at      timestamptz NOT NULL,
    -- Idempotency-Key of the deploy command that created it ('' if none).
    idempotency_key text        NOT NULL DEFAULT '',
    -- Terminal status of the rollout that brought the release in, and its
    -- reason; '' while it runs or when none did.
    outcome         text        NOT NULL DEFAULT '' CHECK (outcome IN
                    ('', 'succeeded', 'rolled_back', 'failed', 'superseded')),
    reason          text        NOT NULL DEFAULT '',
    -- Instances of the release that failed (health or exit) while a
    -- rollout to it was live.
    failures        integer     NOT NULL DEFAULT 0,
    -- The app's latest rollout is live and brings this release in.
    rolling_out     boolean     NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL,
    seq             bigint      NOT NULL,
    PRIMARY KEY (app, version)
);

-- The release and state of each live instance, as the command side keeps
-- them, so that proj-releases counts failures as the aggregate does. It
-- belongs to proj-releases; read instances from the instances table.
CREATE TABLE release_instances (
    app      text    NOT NULL,
    instance text    NOT NULL,
    version  integer NOT NULL,
    state    text    NOT NULL,
    PRIMARY KEY (app, instance)
);

-- Every rollout of every app; id is the stream sequence of its
-- RolloutStarted, so the latest rollout of an app has the highest id.
CREATE TABLE rollouts (
    id             bigint PRIMARY KEY,
    app            text        NOT NULL,
    release        integer     NOT NULL,
    from_release   integer     NOT NULL,
    rollback       boolean     NOT NULL DEFAULT false,
    strategy       text        NOT NULL,
    spec           jsonb       NOT NULL,
    status         text        NOT NULL CHECK (status IN
                   ('progressing', 'paused', 'succeeded', 'rolled_back', 'failed', 'superseded')),
    step           integer     NOT NULL DEFAULT 0,
    -- The canary's share of traffic in percent.
    weight         integer     NOT NULL DEFAULT 0,
    -- Instances of other releases a rolling update keeps; -1 before the
    -- first step (all of them).
    keep_old       integer     NOT NULL DEFAULT -1,
    -- Release that serves again after a roll back.
    rolled_back_to integer,
    reason         text        NOT NULL DEFAULT '',
    -- Inputs of the last step or terminal event; NULL before the first.
    inputs         jsonb,
    started_at     timestamptz NOT NULL,
    step_at        timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    ended_at       timestamptz,
    seq            bigint      NOT NULL
);
CREATE INDEX rollouts_app ON rollouts (app, id);

-- Every event of a rollout, in order: started, stepped, paused, resumed and
-- the terminal one, each with its reason and inputs.
CREATE TABLE rollout_steps (
    seq        bigint PRIMARY KEY,
    rollout_id bigint      NOT NULL,
    event      text        NOT NULL,
    step       integer     NOT NULL,
    weight     integer     NOT NULL,
    keep_old   integer     NOT NULL,
    reason     text        NOT NULL DEFAULT '',
    inputs     jsonb,
    time       timestamptz NOT NULL
);
CREATE INDEX rollout_steps_rollout ON rollout_steps (rollout_id, seq);

-- +goose Down
DROP TABLE rollout_steps;
DROP TABLE rollouts;
DROP TABLE release_instances;
DROP TABLE releases;

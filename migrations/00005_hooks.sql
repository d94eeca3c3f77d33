-- Webhooks (issue 15). hooks is a read model (projector proj-hooks);
-- hook_secrets, hook_deliveries and hook_status are written by the API and
-- the delivery worker (workers/webhooks), not derived from the log, so
-- Rebuild leaves them alone. Numbered after the issue so branches adding
-- migrations at the same time don't collide.

-- +goose Up
-- +goose StatementBegin
CREATE TABLE IF NOT EXISTS hooks (
	name        text        PRIMARY KEY,
	project     text        NOT NULL,
	url         text        NOT NULL,
	apps        text[]      NOT NULL DEFAULT '{}',
	types       text[]      NOT NULL DEFAULT '{}',
	state       text        NOT NULL,  -- active, failing, removed
	last_error  text        NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	seq         bigint      NOT NULL
);

CREATE TABLE IF NOT EXISTS hook_secrets (
	hook        text        NOT NULL,
	secret_id   text        NOT NULL,
	secret      text        NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (hook, secret_id)
);

-- One row per delivery attempt; outcome is delivered, failed (will be
-- retried) or dead (dead letter: given up, replayable).
CREATE TABLE IF NOT EXISTS hook_deliveries (
	id           bigserial   PRIMARY KEY,
	hook         text        NOT NULL,
	event_id     text        NOT NULL,
	event_seq    bigint      NOT NULL,
	event_type   text        NOT NULL,
	subject      text        NOT NULL,
	attempt      int         NOT NULL,
	attempted_at timestamptz NOT NULL,
	status_code  int         NOT NULL DEFAULT 0,
	latency_ms   double precision NOT NULL DEFAULT 0,
	outcome      text        NOT NULL,
	error        text        NOT NULL DEFAULT '',
	response     text        NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS hook_deliveries_hook_idx ON hook_deliveries (hook, id);

-- The receiver's health as the worker sees it: failing_since is the
-- first failure after the last success (NULL while healthy).
CREATE TABLE IF NOT EXISTS hook_status (
	hook          text        PRIMARY KEY,
	failing_since timestamptz,
	last_success  timestamptz,
	last_error    text        NOT NULL DEFAULT ''
);
-- +goose StatementEnd

-- +goose Down
DROP TABLE hook_status;
DROP TABLE hook_deliveries;
DROP TABLE hook_secrets;
DROP TABLE hooks;

-- log_records is the embedded log store of package logpipe/localstore (used
-- when no Elasticsearch is configured); this file is its only schema. Not a
-- read model: Rebuild leaves it alone.

-- +goose Up
-- +goose StatementBegin
CREATE TABLE IF NOT EXISTS log_records (
	id          text        PRIMARY KEY,
	time        timestamptz NOT NULL,
	app         text        NOT NULL DEFAULT '',
	instance    text        NOT NULL DEFAULT '',
	host        text        NOT NULL DEFAULT '',
	stream      text        NOT NULL DEFAULT '',
	severity    text        NOT NULL DEFAULT '',
	message     text        NOT NULL DEFAULT '',
	raw         text        NOT NULL DEFAULT '',
	malformed   boolean     NOT NULL DEFAULT false,
	message_tsv tsvector    GENERATED ALWAYS AS (to_tsvector('simple', message)) STORED
);
CREATE INDEX IF NOT EXISTS log_records_app_time_idx ON log_records (app, time, id);
CREATE INDEX IF NOT EXISTS log_records_time_idx ON log_records (time);
CREATE INDEX IF NOT EXISTS log_records_message_tsv_idx ON log_records USING gin (message_tsv);
-- +goose StatementEnd

-- +goose Down
DROP TABLE log_records;

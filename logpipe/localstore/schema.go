package localstore

// Table is the durable name of the table holding log records.
const Table = "log_records"

// SchemaSQL creates the log table. It is idempotent; it belongs in a
// migration and is not run by this package. Search matches whole words via
// a 'simple' (no stemming, lower-cased) text search vector; the (app, time,
// id) index serves the common "tail of one app" query.
const SchemaSQL = `
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
`

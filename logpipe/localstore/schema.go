package localstore

// Table is the durable name of the table holding log records. Its schema
// is migrations/00003_log_records.sql, applied at start-up with the rest:
// search matches whole words via a 'simple' (no stemming, lower-cased)
// text search vector; the (app, time, id) index serves the common "tail
// of one app" query.
const Table = "log_records"

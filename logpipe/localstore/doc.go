// Package localstore indexes and searches log records in PostgreSQL, the default store when no Elasticsearch is configured.
package localstore

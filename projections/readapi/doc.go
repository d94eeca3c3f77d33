// Package readapi answers Berth's HTTP read endpoints from the read models the projectors keep in Postgres.
package readapi

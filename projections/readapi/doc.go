// Package readapi serves the HTTP read endpoints from the Postgres read
// models that package projections keeps current.
package readapi

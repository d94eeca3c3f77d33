// Package pgserver starts and stops a private PostgreSQL cluster for tests and `berth dev`.
package pgserver

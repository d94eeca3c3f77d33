// Package pgtest gives tests a shared PostgreSQL cluster and a fresh database per test.
package pgtest

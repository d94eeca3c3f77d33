// Package hostwatch declares a host lost, once, when the bus shows its heartbeats stopped, never when only the watcher's own view of the bus faltered.
package hostwatch

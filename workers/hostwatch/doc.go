// Package hostwatch declares a host lost, once, when its heartbeats stop.
package hostwatch

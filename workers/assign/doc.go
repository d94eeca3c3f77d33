// Package assign copies each event about a host or its instances from the event log to that host's assignment subject, so an agent reads its own work and nothing else.
package assign

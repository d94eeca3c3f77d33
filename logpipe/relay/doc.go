// Package relay is a host's own syslog receiver: it takes the logs of the
// containers on its host over the host's loopback and puts them on the bus,
// so restarting the central indexer never drops a line Docker sends.
package relay

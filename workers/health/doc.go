// Package health probes every started instance over HTTP and decides, through the command handler, when it takes traffic and when it has failed.
package health

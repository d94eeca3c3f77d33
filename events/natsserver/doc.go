// Package natsserver runs an embedded NATS server with JetStream for Berth's event bus.
package natsserver

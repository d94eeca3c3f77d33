// Package events is Berth's domain vocabulary: the typed events, their
// CloudEvents envelope, the NATS subject scheme, and the JetStream-backed
// event store that every command appends to and every worker reads from.
package events

// Package webhooks delivers matching events to each hook's receiver over
// HTTP: a durable JetStream consumer per hook, run by a Watermill router,
// signed, in order, at least once, with retries and dead letters.
package webhooks

// Package registration keeps the endpoint and route KV buckets the gateway routes from in step with the event stream, and deregisters endpoints whose instance stopped being healthy.
package registration

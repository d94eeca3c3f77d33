// Package routing holds the immutable routing table built from the endpoint
// and route buckets, and the pure Host-to-app lookup over it.
package routing

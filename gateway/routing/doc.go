// Package routing holds the immutable routing table built from the endpoint
// and route buckets, the pure Host-to-app lookup over it, and the lock-free
// choice of an app's release by weight.
package routing

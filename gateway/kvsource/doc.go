// Package kvsource builds the gateway's routing table from the JetStream KV
// buckets berth_endpoints and berth_routes, rebuilding it on every change.
package kvsource

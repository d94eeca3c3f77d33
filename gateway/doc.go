// Package gateway is Berth's HTTP data plane: it routes each request by Host
// header to a healthy endpoint of the app, retries refused connections on the
// next endpoint, enforces per-app deny lists and records per-app stats.
package gateway

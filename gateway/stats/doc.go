// Package stats records per-app gateway traffic: Prometheus metrics for
// operators, a sliding window of rates and latency percentiles for the
// autoscaler, and a publisher that ships those windows over core NATS.
package stats

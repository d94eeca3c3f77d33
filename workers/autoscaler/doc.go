// Package autoscaler changes an app's replicas from live CPU and latency samples, within the bounds and rules of its autoscaling policy.
package autoscaler

package stats

import (
	"math"
	"time"
)

// Latency buckets for the window histograms: exponential, 25% wide, from
// 50µs to about a minute. The width bounds a percentile's error.
const (
	bucketFactor = 1.25
	bucketFirst  = 50 * time.Microsecond
	numBuckets   = 64 // the last one also takes everything slower
)

var bucketUpper = func() [numBuckets]time.Duration {
	var b [numBuckets]time.Duration
	for i := range b {
		b[i] = time.Duration(float64(bucketFirst) * math.Pow(bucketFactor, float64(i)))
	}
	return b
}()

// bucketOf returns the index of the first bucket whose upper bound is >= d.
func bucketOf(d time.Duration) int {
	lo, hi := 0, numBuckets-1
	for lo < hi {
		mid := (lo + hi) / 2
		if bucketUpper[mid] >= d {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// quantile estimates the q-quantile of a histogram, interpolating linearly
// inside the bucket that holds it.
func quantile(h *[numBuckets]uint32, total uint64, q float64) time.Duration {
	if total == 0 {
		return 0
	}
	target := q * float64(total)
	var cum float64
	for i, c := range h {
		if c == 0 {
			continue
		}
		if cum+float64(c) >= target {
			lower := time.Duration(0)
			if i > 0 {
				lower = bucketUpper[i-1]
			}
			frac := (target - cum) / float64(c)
			return lower + time.Duration(frac*float64(bucketUpper[i]-lower))
		}
		cum += float64(c)
	}
	return bucketUpper[numBuckets-1]
}

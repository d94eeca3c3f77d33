package intake

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/bench"
)

// BenchmarkParse parses the Docker rfc5424micro frame the side-by-side
// benchmark sends.
func BenchmarkParse(b *testing.B) {
	now := time.Now()
	frame := bench.AppendLine(nil, now.UTC().Format(bench.TimeLayout), "benchhost", bench.InstanceID(1), 125001)
	p := NewParser(time.UTC)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		r := p.Parse(frame, now)
		if r.Malformed {
			b.Fatal("malformed")
		}
	}
}

// BenchmarkParseZoneOffset parses the same frame from a Docker daemon
// whose zone is not UTC.
func BenchmarkParseZoneOffset(b *testing.B) {
	now := time.Now()
	zone := time.FixedZone("", 3600)
	frame := bench.AppendLine(nil, now.In(zone).Format(bench.TimeLayout), "benchhost", bench.InstanceID(1), 125001)
	p := NewParser(time.UTC)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		r := p.Parse(frame, now)
		if r.Malformed {
			b.Fatal("malformed")
		}
	}
}

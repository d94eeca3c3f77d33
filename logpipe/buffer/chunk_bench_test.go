package buffer

import (
	"fmt"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/record"
)

// BenchmarkChunkRecords encodes one intake batch as the side-by-side
// benchmark makes them: 512 enriched records over 8 instances.
func BenchmarkChunkRecords(b *testing.B) {
	ids := record.NewIDs()
	at := time.Date(2026, 11, 23, 20, 3, 51, 876582000, time.UTC)
	recs := make([]record.Record, 512)
	for i := range recs {
		inst := fmt.Sprintf("web-%06x", (uint32(i%8)*0x9e3779b1)>>8)
		recs[i] = record.Record{ID: ids.Next(at), Time: at, App: "web", Instance: inst, Host: "h1",
			Stream: record.StreamStdout, Severity: record.SeverityInfo,
			Message: fmt.Sprintf(`seq=%09d GET /api/v1/items?page=7 200 1532B 12.345ms remote=127.0.0.1 ua="Mozilla/5.0 (X11; Linux)"`, i)}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := chunkRecords(recs, maxChunkBytes, maxChunkRecords); err != nil {
			b.Fatal(err)
		}
	}
}

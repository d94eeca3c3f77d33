package record

import (
	"crypto/rand"
	mrand "math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// NewID returns a new record ID: a UUIDv7, so IDs sort in the order intake
// assigned them and break ties between lines with the same timestamp.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// IDs makes record IDs for one goroutine, cheaper than NewID on intake's
// per-line path: no lock, and random bits from a ChaCha8 stream seeded from
// crypto/rand instead of a system call per ID. Its IDs are UUIDv7s laid out
// as NewID's (milliseconds, then a 12-bit sub-millisecond sequence, then 62
// random bits), so they sort in the order one IDs made them. Not safe for
// concurrent use.
type IDs struct {
	last int64 // ms<<12 | sequence of the last ID
	rng  *mrand.ChaCha8
}

// NewIDs returns a generator with a fresh random seed.
func NewIDs() *IDs {
	var seed [32]byte
	_, _ = rand.Read(seed[:]) // never fails (crypto/rand panics instead)
	return &IDs{rng: mrand.NewChaCha8(seed)}
}

// Next returns a new ID for a line received at now.
func (g *IDs) Next(now time.Time) string {
	nano := now.UnixNano()
	ms := nano / int64(time.Millisecond)
	v := ms<<12 | (nano-ms*int64(time.Millisecond))>>8 // as google/uuid: 3906 steps a millisecond
	if v <= g.last {
		v = g.last + 1 // the clock stood still or stepped back
	}
	g.last = v
	ms, seq := v>>12, v&0xfff

	var u [16]byte
	u[0], u[1], u[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	u[3], u[4], u[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	u[6], u[7] = 0x70|byte(seq>>8), byte(seq) // version 7
	r := g.rng.Uint64()
	u[8] = 0x80 | byte(r>>56)&0x3f // variant 10
	u[9], u[10], u[11] = byte(r>>48), byte(r>>40), byte(r>>32)
	u[12], u[13], u[14], u[15] = byte(r>>24), byte(r>>16), byte(r>>8), byte(r)
	return formatUUID(&u)
}

const hexDigits = "0123456789abcdef"

// formatUUID writes u as uuid.UUID.String does: 8-4-4-4-12 lower-case hex.
func formatUUID(u *[16]byte) string {
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(b[:])
}

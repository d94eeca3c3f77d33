package placement

import (
	"crypto/rand"
	"encoding/hex"
)

// NewIDs returns a generator of random instance IDs, <app>-<6 hex>.
func NewIDs(app string) func() string {
	return func() string {
		var b [3]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
		return app + "-" + hex.EncodeToString(b[:])
	}
}

package events

import "time"

// KindToken is the aggregate of an API token, by name: grants and
// revocations are events, so who could do what at any time is answerable
// from the log.
const KindToken AggregateKind = "token"

// Token returns the aggregate of the API token name.
func Token(name string) Aggregate { return Aggregate{Kind: KindToken, ID: name} }

// TokenGranted: an API token named Name was created with Role over
// Projects (empty: every project), valid until ExpiresAt (zero: no
// expiry). Only the SHA-256 of its secret is recorded.
type TokenGranted struct {
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Projects   []string  `json:"projects,omitempty"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	SecretHash string    `json:"secret_sha256"`
}

// TokenRevoked: the token named Name stops working.
type TokenRevoked struct {
	Name string `json:"name"`
}

func (TokenGranted) Kind() string { return "granted" }
func (TokenRevoked) Kind() string { return "revoked" }

func (e TokenGranted) Aggregate() Aggregate { return Token(e.Name) }
func (e TokenRevoked) Aggregate() Aggregate { return Token(e.Name) }

func init() {
	register(KindToken, func() Event { return &TokenGranted{} })
	register(KindToken, func() Event { return &TokenRevoked{} })
}

package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// A token reads "bt.<name>.<secret>": the name (public, the accessor
// recorded on events) finds the grant, the 43-character base64url secret
// (256 random bits) proves it. Only the SHA-256 of the whole string is
// kept.
const (
	prefix    = "bt."
	secretLen = 43
)

// NamePattern keeps token names usable as subject tokens.
var NamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

var errMalformed = errors.New("malformed token")

// Parse splits a token into its name and secret.
func Parse(token string) (name, secret string, err error) {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok {
		return "", "", errMalformed
	}
	name, secret, ok = strings.Cut(rest, ".")
	if !ok || !NamePattern.MatchString(name) || len(secret) != secretLen {
		return "", "", errMalformed
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", "", errMalformed
	}
	return name, secret, nil
}

// New makes a fresh token for name.
func New(name string) (string, error) {
	if !NamePattern.MatchString(name) {
		return "", fmt.Errorf("token name %q: want lower-case letters, digits, '-' or '_' (at most 63)", name)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token secret: %w", err)
	}
	return prefix + name + "." + base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash is what the log records of a token.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

package dashboard

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BucketLinks holds one-time sign-in codes, key = the code. Durable name:
// don't rename.
const BucketLinks = "berth_dashboard_links"

// LinkTTL is how long a one-time sign-in link works.
const LinkTTL = 60 * time.Second

// ErrLinkUsed: the code is unknown, expired or was already used.
var ErrLinkUsed = errors.New("this sign-in link is unknown, expired or already used; run `berth dashboard` for a new one")

// links issues and redeems one-time codes through a KV bucket, so any
// server can redeem what another issued, and only once: redeeming deletes
// the key expecting the revision it read, and only one delete can win.
type links struct {
	kv  jetstream.KeyValue
	now func() time.Time
}

// ensureLinks creates (or reconfigures) the bucket; the server calls it.
func ensureLinks(ctx context.Context, js jetstream.JetStream, replicas int, now func() time.Time) (*links, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: BucketLinks, Description: "Berth dashboard one-time sign-in codes",
		History: 1, TTL: LinkTTL, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("ensure bucket %s: %w", BucketLinks, err)
	}
	return &links{kv: kv, now: now}, nil
}

// issue stores a fresh code and returns it.
func (l *links) issue(ctx context.Context) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	code := base64.RawURLEncoding.EncodeToString(b)
	stamp := l.now().UTC().Format(time.RFC3339Nano)
	if _, err := l.kv.Create(ctx, code, []byte(stamp)); err != nil {
		return "", fmt.Errorf("store sign-in code: %w", err)
	}
	return code, nil
}

// redeem succeeds once per code issued within LinkTTL.
func (l *links) redeem(ctx context.Context, code string) error {
	if len(code) != 32 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return ErrLinkUsed
	}
	e, err := l.kv.Get(ctx, code)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return ErrLinkUsed
	}
	if err != nil {
		return fmt.Errorf("look up sign-in code: %w", err)
	}
	issued, err := time.Parse(time.RFC3339Nano, string(e.Value()))
	if err != nil || l.now().Sub(issued) > LinkTTL {
		return ErrLinkUsed
	}
	if err := l.kv.Delete(ctx, code, jetstream.LastRevision(e.Revision())); err != nil {
		return ErrLinkUsed
	}
	return nil
}

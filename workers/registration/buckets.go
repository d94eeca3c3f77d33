package registration

import "github.com/berth-dev/berth/events"

// Buckets opens the endpoint and route buckets; jetstream.JetStream is one.
type Buckets = events.BucketOpener

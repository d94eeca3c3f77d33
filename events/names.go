package events

import "strings"

// Durable names. Renaming any of these orphans data or consumers: don't.
const (
	// StreamName is the one JetStream stream holding every domain event.
	StreamName = "BERTH_EVENTS"
	// SubjectPrefix prefixes every event subject.
	SubjectPrefix = "berth.events"
	// AllSubjects matches every event.
	AllSubjects = SubjectPrefix + ".>"

	// BucketEndpoints holds the healthy endpoints, key "<app>.<instance>".
	BucketEndpoints = "berth_endpoints"
	// BucketRoutes holds each app's routing config, key "<app>".
	BucketRoutes = "berth_routes"
	// BucketHeartbeats holds each host's latest heartbeat, key "<host>".
	BucketHeartbeats = "berth_heartbeats"
	// BucketPorts holds host port claims, key "<host>.<port>", so two
	// schedulers never hand out one port twice.
	BucketPorts = "berth_ports"
	// BucketDomains holds custom domain claims, key "<domain>", value the
	// owning app, so two servers never grant one domain to two apps.
	BucketDomains = "berth_domains"

	// MetricsSubjectPrefix carries ephemeral metrics on core NATS (not
	// JetStream): berth.metrics.gateway.<app>, berth.metrics.instance.<app>.
	MetricsSubjectPrefix = "berth.metrics"

	// CloudEventsTypePrefix prefixes every CloudEvents "type" attribute.
	CloudEventsTypePrefix = "dev.berth."
)

// AggregateKind names the kind of entity an event belongs to.
type AggregateKind string

// The aggregate kinds. Each owns a subject subtree.
const (
	KindApp  AggregateKind = "app"
	KindHost AggregateKind = "host"
)

// Aggregate identifies the entity whose history an event extends; it is
// the unit of optimistic concurrency.
type Aggregate struct {
	Kind AggregateKind
	ID   string
}

// App returns the aggregate of app name.
func App(name string) Aggregate { return Aggregate{Kind: KindApp, ID: name} }

// Host returns the aggregate of host id.
func Host(id string) Aggregate { return Aggregate{Kind: KindHost, ID: id} }

// Filter is the subject filter matching every event of the aggregate.
func (a Aggregate) Filter() string {
	return SubjectPrefix + "." + string(a.Kind) + "." + a.ID + ".>"
}

// Subject is the subject an event of this kind is published on:
// berth.events.<aggregate kind>.<id>.<event kind>.
func (a Aggregate) Subject(eventKind string) string {
	return SubjectPrefix + "." + string(a.Kind) + "." + a.ID + "." + eventKind
}

// ParseSubject splits an event subject into its aggregate and event kind.
func ParseSubject(subject string) (Aggregate, string, bool) {
	rest, ok := strings.CutPrefix(subject, SubjectPrefix+".")
	if !ok {
		return Aggregate{}, "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return Aggregate{}, "", false
	}
	return Aggregate{Kind: AggregateKind(parts[0]), ID: parts[1]}, parts[2], true
}

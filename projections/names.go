package projections

// Projector names. Each is the durable JetStream consumer, the Watermill
// handler and the checkpoint row of one read model. Renaming one orphans
// its consumer and replays the whole stream into its table: don't.
const (
	AppsProjector      = "proj-apps"
	InstancesProjector = "proj-instances"
	HostsProjector     = "proj-hosts"
	EndpointsProjector = "proj-endpoints"
	HistoryProjector   = "proj-history"
)

// DeliverSubjectPrefix prefixes each projector's push-consumer delivery
// subject. It must stay outside berth.events.> or the stream would capture
// its own deliveries.
const DeliverSubjectPrefix = "berth.projections.deliver."

// Watermill message metadata set by the unmarshaler.
const (
	// MetadataSeq is the event's JetStream stream sequence.
	MetadataSeq = "berth_stream_seq"
	// MetadataSubject is the subject the event was published on.
	MetadataSubject = "berth_subject"
)

// poisonTopic names the PoisonQueue destination; the publisher behind it
// writes to projection_skipped, so it is only a label.
const poisonTopic = "projection_skipped"

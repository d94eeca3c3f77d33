package projections

// Projector names. Each is the durable JetStream consumer and the
// checkpoint row of one read model. Renaming one orphans its consumer
// and replays the whole stream into its table: don't.
const (
	AppsProjector      = "proj-apps"
	InstancesProjector = "proj-instances"
	HostsProjector     = "proj-hosts"
	EndpointsProjector = "proj-endpoints"
	HistoryProjector   = "proj-history"
	ReleasesProjector  = "proj-releases"
	RolloutsProjector  = "proj-rollouts"
	HooksProjector     = "proj-hooks"
)

package dashboard

import "context"

// Releases and rollouts are filled in here once they exist (GET
// /v1/apps/{app}/releases and /v1/apps/{app}/rollout and their read
// models). This file and templates/parts.tmpl's "releases" and "rollout"
// blocks are the whole of it: the app page shows ReleasesPanel, the
// overview's rollout column shows RolloutSummary.

// ReleasesPanel is the app page's releases-and-rollout panel.
type ReleasesPanel struct {
	// Available is false until releases exist; the panel then says so.
	Available bool
}

// RolloutSummary is an app's rollout in progress, for the overview.
type RolloutSummary struct {
	Active bool
	// Step is a short description such as "2/4 at 25%".
	Step string
}

// releasesPanel reads the app's releases and current rollout.
func (d *Dashboard) releasesPanel(ctx context.Context, app string) (ReleasesPanel, error) {
	return ReleasesPanel{}, nil
}

// rolloutSummary reads the app's rollout in progress, if any.
func (d *Dashboard) rolloutSummary(ctx context.Context, app string) RolloutSummary {
	return RolloutSummary{}
}

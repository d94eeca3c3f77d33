package placement

// Compute decides, for one app, which instances to remove and where to place
// new ones so that the app has app.Replicas live instances. It is pure and
// deterministic: the same inputs and IDs from newID give the same plan.
//
// Live instances on lost or unknown hosts, and failed or exited instances,
// are removed and, being not live, replaced. Removals are idempotent: the
// caller drops instances from the cluster once they are gone. newID must
// return IDs of the form <app>-<6 hex>; IDs already used by the app are
// skipped. A nil newID draws random IDs.
func Compute(c *Cluster, app AppSpec, newID func() string) Plan {
	if c == nil {
		c = &Cluster{}
	}
	if newID == nil {
		newID = NewIDs(app.Name)
	}
	ix := newIndex(c, app.Name, app.Release)
	plan := Plan{Remove: ix.replaced}
	want := max(app.Replicas, 0)
	switch live := len(ix.live); {
	case want > live:
		ix.place(app, want-live, newID, &plan)
	case want < live:
		ix.scaleDown(live-want, &plan)
	}
	return plan
}

package events

import "context"

type actorKey struct{}

// WithActor returns ctx carrying who asked (an API token's name, never its
// secret); events appended under it record the name as the CloudEvents
// extension attribute "berthactor".
func WithActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, name)
}

// ActorFrom is the actor ctx carries, "" when none (workers, agents).
func ActorFrom(ctx context.Context) string {
	s, _ := ctx.Value(actorKey{}).(string)
	return s
}

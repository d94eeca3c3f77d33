package hooks

import (
	"slices"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
)

// Put creates a hook or changes it (POST /v1/hooks). Secret, when set,
// replaces the signing secret; a new hook without one gets a generated
// secret, returned once.
type Put struct {
	Name    string   `json:"name"`
	URL     string   `json:"url"`
	Apps    []string `json:"apps,omitempty"`
	Types   []string `json:"types,omitempty"`
	Project string   `json:"project,omitempty"`
	Secret  string   `json:"secret,omitempty"`
}

// Validate checks every field and reports the first problem by field.
func (c *Put) Validate(p Policy) error {
	if err := ValidateName(c.Name); err != nil {
		return err
	}
	if err := ValidateURL(c.URL, p); err != nil {
		return err
	}
	if c.Project == "" {
		c.Project = DefaultProject
	}
	if !projectRe.MatchString(c.Project) {
		return invalid("project", "%q is not a valid project name", c.Project)
	}
	if err := validateApps(c.Apps); err != nil {
		return err
	}
	if err := validateTypes(c.Types); err != nil {
		return err
	}
	return validateSecret(c.Secret)
}

// Decide: created when the hook does not exist, changed when something
// differs, nothing otherwise. secretID is the id the new secret was
// stored under ("" when no secret was given).
func (c Put) Decide(h *Hook, secretID string) ([]events.Event, error) {
	spec := events.HookSpec{Project: c.Project, URL: c.URL, Apps: sortedSet(c.Apps), Types: sortedSet(c.Types), SecretID: secretID}
	if !h.Exists {
		if secretID == "" {
			return nil, rejected("hook %s: a new hook needs a secret", c.Name)
		}
		return []events.Event{events.HookCreated{Name: c.Name, HookSpec: spec}}, nil
	}
	if spec.SecretID == "" {
		spec.SecretID = h.Spec.SecretID
	}
	if spec.Project != h.Spec.Project {
		return nil, rejected("hook %s belongs to project %s; remove it to move it", c.Name, h.Spec.Project)
	}
	if equalSpec(spec, h.Spec) {
		return nil, nil
	}
	return []events.Event{events.HookChanged{Name: c.Name, HookSpec: spec}}, nil
}

// Remove deletes a hook (DELETE /v1/hooks/{name}); removing a hook that
// is gone is a no-op.
func Remove(h *Hook) ([]events.Event, error) {
	if !h.Exists {
		if h.Seq == 0 {
			return nil, notFound("hook %s", h.Name)
		}
		return nil, nil
	}
	return []events.Event{events.HookRemoved{Name: h.Name}}, nil
}

// Replay redelivers from fromSeq, the first event at or after since.
func Replay(h *Hook, since time.Time, fromSeq uint64) ([]events.Event, error) {
	if !h.Exists {
		return nil, notFound("hook %s", h.Name)
	}
	return []events.Event{events.HookReplayRequested{Name: h.Name, Since: since.UTC(), FromSeq: fromSeq}}, nil
}

// MarkFailing records that the receiver keeps failing, once.
func MarkFailing(h *Hook, since time.Time, reason string) ([]events.Event, error) {
	if !h.Exists || h.Failing {
		return nil, nil
	}
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return []events.Event{events.HookFailing{Name: h.Name, Since: since.UTC(), Error: reason}}, nil
}

// MarkRecovered records that a failing receiver accepted an event again.
func MarkRecovered(h *Hook) ([]events.Event, error) {
	if !h.Exists || !h.Failing {
		return nil, nil
	}
	return []events.Event{events.HookRecovered{Name: h.Name}}, nil
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func equalSpec(a, b events.HookSpec) bool {
	return a.Project == b.Project && a.URL == b.URL && a.SecretID == b.SecretID &&
		slices.Equal(a.Apps, b.Apps) && slices.Equal(a.Types, b.Types)
}

func rejected(format string, args ...any) error {
	return errorf(commands.ErrRejected, format, args...)
}

func notFound(format string, args ...any) error {
	return errorf(commands.ErrNotFound, format, args...)
}

package commands

import (
	"regexp"
)

// DefaultProject is the project of apps deployed without one. It is
// stored as "" so that specs from before projects existed are unchanged.
const DefaultProject = "default"

var projectPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidateProject checks a project name ("" means the default).
func ValidateProject(p string) error {
	if p != "" && !projectPattern.MatchString(p) {
		return invalid("project", "%q: want lower-case letters, digits, '-' or '_' (at most 63)", p)
	}
	return nil
}

func storedProject(p string) string {
	if p == DefaultProject {
		return ""
	}
	return p
}

// ProjectOf names the project a spec's Project field means.
func ProjectOf(stored string) string {
	if stored == "" {
		return DefaultProject
	}
	return stored
}

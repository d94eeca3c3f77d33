package commands

import (
	"errors"
	"testing"
)

func TestDeployProject(t *testing.T) {
	for _, c := range []struct{ in, stored string }{{"", ""}, {"default", ""}, {"team-a", "team-a"}} {
		spec, err := Deploy{App: "web", Image: "img", Project: c.in}.Spec()
		if err != nil || spec.Project != c.stored {
			t.Errorf("project %q: stored %q, %v; want %q", c.in, spec.Project, err, c.stored)
		}
	}
	_, err := Deploy{App: "web", Image: "img", Project: "Team A"}.Spec()
	var fe interface{ FieldName() string }
	if !errors.As(err, &fe) || fe.FieldName() != "project" {
		t.Fatalf("bad project: %v, want a project field error", err)
	}
	if ProjectOf("") != DefaultProject || ProjectOf("x") != "x" {
		t.Fatal("ProjectOf")
	}
}

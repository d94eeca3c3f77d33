package commands_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/berth-dev/berth/commands"
)

func intp(i int) *int { return &i }

func TestDeployValidation(t *testing.T) {
	good := commands.Deploy{App: "web", Image: "nginx:1.25"}
	cases := []struct {
		name  string
		edit  func(*commands.Deploy)
		field string
		text  string
	}{
		{"invalid app name", func(d *commands.Deploy) { d.App = "Web_App" }, "app", "not a valid app name"},
		{"app name too long", func(d *commands.Deploy) { d.App = strings.Repeat("a", 41) }, "app", "not a valid app name"},
		{"negative replicas", func(d *commands.Deploy) { d.Replicas = intp(-1) }, "replicas", "out of range"},
		{"malformed image", func(d *commands.Deploy) { d.Image = "UPPER::case" }, "image", "not a valid image reference"},
		{"missing image", func(d *commands.Deploy) { d.Image = "" }, "image", "required"},
		{"memory 12qb", func(d *commands.Deploy) { d.Memory = "12qb" }, "memory", `"12qb" is not a size`},
		{"port out of range", func(d *commands.Deploy) { d.Port = 70000 }, "port", "out of range"},
		{"reserved env", func(d *commands.Deploy) { d.Env = map[string]string{"PORT": "1"} }, "env", "set by the platform"},
		{"bad env name", func(d *commands.Deploy) { d.Env = map[string]string{"1X": "1"} }, "env", "not a valid variable name"},
		{"health path", func(d *commands.Deploy) { d.HealthPath = "ping" }, "health_path", "must start with /"},
		{"cpus", func(d *commands.Deploy) { d.CPUs = -0.5 }, "cpus", "out of range"},
		{"constraint key", func(d *commands.Deploy) { d.Constraints = map[string]string{"Bad Key": "x"} }, "constraints", "not a valid label key"},
		{"max per host", func(d *commands.Deploy) { d.MaxPerHost = -2 }, "max_per_host", "out of range"},
		{"interval", func(d *commands.Deploy) { d.HealthInterval = "fast" }, "health_interval", "not a duration"},
		{"too many constraints", func(d *commands.Deploy) {
			d.Constraints = map[string]string{}
			for i := range commands.MaxConstraints + 1 {
				d.Constraints[fmt.Sprintf("k%d", i)] = "v"
			}
		}, "constraints", "exceed the limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := good
			c.edit(&d)
			_, err := d.Spec()
			if err == nil {
				t.Fatal("accepted")
			}
			var fe *commands.FieldError
			if !errors.Is(err, commands.ErrInvalid) || !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("error = %v; want field %s mentioning %q", err, c.field, c.text)
			}
		})
	}
	spec, err := good.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.Replicas != 1 || spec.Port != 8080 || spec.HealthPath != "/_ping" || spec.HealthThreshold != 3 || spec.HealthIntervalMS != 2000 {
		t.Fatalf("defaults = %+v", spec)
	}
}

func TestDeployReportsEveryProblem(t *testing.T) {
	_, err := commands.Deploy{App: "-x", Image: "", Memory: "lots"}.Spec()
	for _, field := range []string{"app:", "image:", "memory:"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error %v does not name %s", err, field)
		}
	}
}

func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "512m": 512 << 20, "1g": 1 << 30, "1.5G": 3 << 29, "256MiB": 256 << 20, "1024": 1024, "64k": 64 << 10} {
		got, err := commands.ParseMemory(in)
		if err != nil || got != want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"12qb", "m", "-1m", "1..2g", "1e999g", "NaNm"} {
		if _, err := commands.ParseMemory(in); err == nil {
			t.Errorf("ParseMemory(%q) accepted", in)
		}
	}
}

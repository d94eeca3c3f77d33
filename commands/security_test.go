package commands_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/berth-dev/berth/commands"
)

func TestDeployContainerPolicy(t *testing.T) {
	policy := commands.ContainerPolicy{DefaultMemoryBytes: 512 << 20, AllowedCaps: []string{"NET_RAW", "SYS_PTRACE"}}
	spec, err := commands.Deploy{App: "web", Image: "nginx", Policy: policy}.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.MemoryBytes != 512<<20 {
		t.Errorf("no --memory: limit %d, want the server's default 512m", spec.MemoryBytes)
	}
	spec, err = commands.Deploy{App: "web", Image: "nginx", Memory: "64m", Policy: policy,
		SecurityOptions: commands.SecurityOptions{ReadOnly: true, User: "1000:1000", CapAdd: []string{"cap_net_raw", "NET_RAW"}}}.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.MemoryBytes != 64<<20 || !spec.Security.ReadOnly || spec.Security.User != "1000:1000" ||
		len(spec.Security.CapAdd) != 1 || spec.Security.CapAdd[0] != "NET_RAW" {
		t.Errorf("spec %+v", spec)
	}
	for _, c := range []struct {
		opts  commands.SecurityOptions
		field string
	}{
		{commands.SecurityOptions{CapAdd: []string{"SYS_ADMIN"}}, "cap_add"},
		{commands.SecurityOptions{User: "root"}, "user"},
		{commands.SecurityOptions{User: "1000:"}, "user"},
	} {
		_, err := commands.Deploy{App: "web", Image: "nginx", Policy: policy, SecurityOptions: c.opts}.Spec()
		var fe *commands.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: %v; want a 400 on %s", c.opts, err, c.field)
		}
	}
	// Without an allow-list no capability can be added.
	_, err = commands.Deploy{App: "web", Image: "nginx", SecurityOptions: commands.SecurityOptions{CapAdd: []string{"NET_RAW"}}}.Spec()
	if err == nil || !strings.Contains(err.Error(), "allow-list (none)") {
		t.Errorf("cap without allow-list: %v", err)
	}
	if err := (commands.ContainerPolicy{AllowedCaps: []string{"SYS_ADMIN", "cap_chown"}}).Validate(); err == nil {
		t.Error("policy allowing SYS_ADMIN accepted")
	}
}

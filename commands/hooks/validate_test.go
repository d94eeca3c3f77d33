package hooks_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/hooks"
)

func TestValidateURLRefusesUnsafeReceivers(t *testing.T) {
	strict := hooks.Policy{}
	for _, c := range []struct {
		url     string
		allowed bool
	}{
		{"https://hooks.example.com/berth", true},
		{"https://93.184.216.34:8443/x?y=1", true},
		{"http://hooks.example.com/", false},
		{"ftp://hooks.example.com/", false},
		{"https://127.0.0.1/", false},
		{"https://localhost:8443/", false},
		{"https://api.localhost/", false},
		{"https://10.1.2.3/", false},
		{"https://172.16.0.1/", false},
		{"https://192.168.1.1/", false},
		{"https://169.254.169.254/latest/meta-data", false}, // cloud metadata
		{"https://100.64.0.1/", false},
		{"https://0.0.0.0/", false},
		{"https://[::1]/", false},
		{"https://[fd00::1]/", false},
		{"https://[fe80::1]/", false},
		{"https://[::ffff:127.0.0.1]/", false},
		{"https://2130706433/", false}, // 127.0.0.1 as a number
		{"https://user:pw@hooks.example.com/", false},
		{"https:///nohost", false},
		{"", false},
	} {
		err := hooks.ValidateURL(c.url, strict)
		if (err == nil) != c.allowed {
			t.Errorf("ValidateURL(%q) = %v, want allowed %v", c.url, err, c.allowed)
		}
		if err != nil && !errors.Is(err, commands.ErrInvalid) {
			t.Errorf("ValidateURL(%q) = %v, not a field error", c.url, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:9000/hook", "http://localhost/", "https://10.0.0.1/"} {
		if err := hooks.ValidateURL(u, hooks.Policy{AllowPrivate: true}); err != nil {
			t.Errorf("with AllowPrivate, ValidateURL(%q) = %v", u, err)
		}
	}
}

func TestPutValidateNamesTheField(t *testing.T) {
	for field, c := range map[string]hooks.Put{
		"name":    {Name: "Bad_Name", URL: "https://x.example.com"},
		"url":     {Name: "ci", URL: "http://x.example.com"},
		"apps":    {Name: "ci", URL: "https://x.example.com", Apps: []string{"Web"}},
		"types":   {Name: "ci", URL: "https://x.example.com", Types: []string{"deployed", "roll*out"}},
		"project": {Name: "ci", URL: "https://x.example.com", Project: "A B"},
		"secret":  {Name: "ci", URL: "https://x.example.com", Secret: "short"},
	} {
		err := c.Validate(hooks.Policy{})
		var fe *commands.FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%+v: %v, want a problem with %s", c, err, field)
		}
	}
	ok := hooks.Put{Name: "ci", URL: "https://x.example.com", Types: []string{"rollout_*", "deployed"}, Secret: strings.Repeat("s", 20)}
	if err := ok.Validate(hooks.Policy{}); err != nil || ok.Project != hooks.DefaultProject {
		t.Errorf("valid put: %v, project %q", err, ok.Project)
	}
}

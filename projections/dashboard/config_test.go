package dashboard

import (
	"strings"
	"testing"
)

func TestConfigValidateNamesEveryMissingPart(t *testing.T) {
	err := Config{}.Validate()
	if err == nil {
		t.Fatal("an empty config is valid")
	}
	for _, part := range []string{"Reads", "DB", "Log", "Commands", "NATS"} {
		if !strings.Contains(err.Error(), part+" is required") {
			t.Errorf("%q does not name %s", err, part)
		}
	}
}

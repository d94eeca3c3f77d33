package gateway

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	var zero Config
	zero.setDefaults()
	if err := zero.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if zero.Listen != ":8080" || zero.AdminListen != "127.0.0.1:9180" || zero.Domain != "localhost" {
		t.Errorf("defaults = %+v", zero)
	}

	bad := Config{
		Domain:      "apps.test:80",
		Listen:      ":9000",
		AdminListen: ":9000",
		DialTimeout: -time.Second,
		StatsWindow: time.Millisecond,
	}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"domain", "admin listen", "dial timeout", "stats window"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{Domain: "bad domain"}, Static(nil)); err == nil {
		t.Error("New accepted a bad domain")
	}
	if _, err := New(Config{}, nil); err == nil {
		t.Error("New accepted a nil source")
	}
}

package webhooks_test

import (
	"errors"
	"testing"
	"time"

	"github.com/berth-dev/berth/workers/webhooks"
)

// The vector was computed independently:
// python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test_secret_0123456789",
// b"1700000000.{\"id\":\"e1\"}", hashlib.sha256).hexdigest())'
func TestSignatureKnownVector(t *testing.T) {
	body := []byte(`{"id":"e1"}`)
	at := time.Unix(1700000000, 0)
	want := "t=1700000000,v1=8eb6f4d5727e88e6b41d457858f44f5111bfe1cc327fbbcc7a1cf9275b502092"
	if got := webhooks.Sign(testSecret, at, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if err := webhooks.Verify(testSecret, want, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	body := []byte(`{"id":"e1"}`)
	at := time.Unix(1700000000, 0)
	good := webhooks.Sign(testSecret, at, body)
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
	}{
		"other secret":    {"whsec_another_secret_xxxxxxx", good, body, at},
		"changed body":    {testSecret, good, []byte(`{"id":"e2"}`), at},
		"too old":         {testSecret, good, body, at.Add(6 * time.Minute)},
		"from the future": {testSecret, good, body, at.Add(-6 * time.Minute)},
		"no v1":           {testSecret, "t=1700000000", body, at},
		"no timestamp":    {testSecret, "v1=00", body, at},
		"garbage":         {testSecret, "nonsense", body, at},
	} {
		if err := webhooks.Verify(c.secret, c.header, c.body, c.now, 5*time.Minute); !errors.Is(err, webhooks.ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", name, err)
		}
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	_, err := webhooks.New(webhooks.Config{Timeout: 10 * time.Second, AckWait: 15 * time.Second, RetryInitial: time.Hour, RetryMax: time.Minute,
		InProcessRetries: -1}, nil, nil, nil, nil, nil)
	if err == nil {
		t.Fatal("New accepted a bad config")
	}
	for _, want := range []string{"NATS URL", "ack wait", "retry initial", "in-process retries"} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

package tokens

import (
	"strings"
	"testing"
)

func TestNewParsesBack(t *testing.T) {
	tok, err := New("ci-deploy")
	if err != nil {
		t.Fatal(err)
	}
	name, secret, err := Parse(tok)
	if err != nil || name != "ci-deploy" || len(secret) != secretLen {
		t.Fatalf("Parse(%q) = %q, %q, %v", tok, name, secret, err)
	}
	for _, bad := range []string{"", "bt.", "bt.ci", "bt.ci." + strings.Repeat("a", 42), "xx.ci." + strings.Repeat("a", 43),
		"bt.CI." + strings.Repeat("a", 43), "bt.ci." + strings.Repeat("*", 43), "bt..x" + strings.Repeat("a", 43)} {
		if _, _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if _, err := New("Bad Name"); err == nil {
		t.Error("New accepted a bad name")
	}
}

func FuzzParse(f *testing.F) {
	tok, _ := New("a")
	for _, s := range []string{tok, "bt.x.y", "", "bt." + strings.Repeat(".", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, secret, err := Parse(s)
		if err != nil {
			return
		}
		if !NamePattern.MatchString(name) || len(secret) != secretLen || s != prefix+name+"."+secret {
			t.Fatalf("Parse(%q) = %q, %q: not a well-formed token", s, name, secret)
		}
	})
}

package events_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
)

func TestEnvelopeIsCloudEvent(t *testing.T) {
	env, err := events.Wrap(events.AppScaled{App: "web", Replicas: 3, Previous: 1}, "berth/api", "", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(env)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, attr := range []string{"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"} {
		if _, ok := raw[attr]; !ok {
			t.Errorf("CloudEvents attribute %q missing in %s", attr, body)
		}
	}
	if raw["type"] != "dev.berth.app.scaled" || raw["specversion"] != "1.0" {
		t.Errorf("type/specversion = %v/%v", raw["type"], raw["specversion"])
	}
	_, e, err := events.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if e != (events.AppScaled{App: "web", Replicas: 3, Previous: 1}) {
		t.Fatalf("decoded %#v", e)
	}
}

func TestDecodeRejects(t *testing.T) {
	for name, body := range map[string]string{
		"not json":     `{`,
		"wrong spec":   `{"specversion":"0.3","id":"1","source":"s","type":"dev.berth.app.stopped","data":{}}`,
		"unknown type": `{"specversion":"1.0","id":"1","source":"s","type":"dev.berth.app.exploded","data":{}}`,
		"no id":        `{"specversion":"1.0","source":"s","type":"dev.berth.app.stopped","data":{}}`,
		"bad data":     `{"specversion":"1.0","id":"1","source":"s","type":"dev.berth.app.scaled","data":{"replicas":"x"}}`,
	} {
		if _, _, err := events.Decode([]byte(body)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func TestSubjects(t *testing.T) {
	subj := events.App("web").Subject(events.AppScaled{}.Kind())
	if subj != "berth.events.app.web.scaled" {
		t.Fatalf("subject = %s", subj)
	}
	agg, kind, ok := events.ParseSubject(subj)
	if !ok || agg != events.App("web") || kind != "scaled" {
		t.Fatalf("parse = %v %v %v", agg, kind, ok)
	}
	if _, _, ok := events.ParseSubject("berth.events.app.web"); ok {
		t.Fatal("short subject parsed")
	}
}

func FuzzDecode(f *testing.F) {
	env, _ := events.Wrap(events.AppDeployed{App: "web", Version: 1, Spec: events.Spec{Image: "x", Env: map[string]string{"A": "b"}}}, "s", "k", time.Now())
	body, _ := json.Marshal(env)
	f.Add(body)
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"dev.berth.host.lost","data":{"host":"h"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, e, err := events.Decode(body)
		if err != nil {
			return
		}
		if e == nil || !strings.HasPrefix(env.Type, "dev.berth.") || events.TypeOf(e) != env.Type {
			t.Fatalf("decoded %q into %#v with envelope type %q", body, e, env.Type)
		}
	})
}

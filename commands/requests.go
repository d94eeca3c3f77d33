package commands

import (
	"net/http"

	"github.com/berth-dev/berth/commands/httpjson"
)

// The client's forms of commands whose fields have no safe default: a
// missing field is a 400 naming it, never a zero that scales an app to
// nothing or clears its domains. Fields meant for internal callers (a
// scale's cause) have no client form at all.

type scaleRequest struct {
	Replicas *int `json:"replicas"`
}

// DecodeScale reads a client's scale request; replicas is required.
func DecodeScale(r *http.Request, app string) (Scale, error) {
	var b scaleRequest
	if err := httpjson.Decode(r, &b); err != nil {
		return Scale{}, err
	}
	if b.Replicas == nil {
		return Scale{}, invalid("replicas", "is required")
	}
	return Scale{App: app, Replicas: *b.Replicas}, nil
}

type domainsRequest struct {
	Domains *[]string `json:"domains"`
}

// DecodeSetDomains reads a client's domains request; domains is required
// ([] clears them).
func DecodeSetDomains(r *http.Request, app string) (SetDomains, error) {
	var b domainsRequest
	if err := httpjson.Decode(r, &b); err != nil {
		return SetDomains{}, err
	}
	if b.Domains == nil {
		return SetDomains{}, invalid("domains", "is required ([] clears the domains)")
	}
	return SetDomains{App: app, Domains: *b.Domains}, nil
}

type denyRequest struct {
	Deny *[]string `json:"deny"`
}

// DecodeSetDenyList reads a client's deny-list request; deny is required
// ([] clears it).
func DecodeSetDenyList(r *http.Request, app string) (SetDenyList, error) {
	var b denyRequest
	if err := httpjson.Decode(r, &b); err != nil {
		return SetDenyList{}, err
	}
	if b.Deny == nil {
		return SetDenyList{}, invalid("deny", "is required ([] clears the deny list)")
	}
	return SetDenyList{App: app, Deny: *b.Deny}, nil
}

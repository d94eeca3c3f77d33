// Package hooks holds webhook subscriptions as an aggregate: their model
// (one fold), the commands that create, change, remove and replay them,
// their validation, and the HTTP write endpoints.
package hooks

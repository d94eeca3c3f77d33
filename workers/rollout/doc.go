// Package rollout drives every app's live rollout to exactly one terminal
// state: a pure Decide over the app, its instances' health, the gateway's
// per-release traffic and the time, and a worker that feeds it and appends
// what it decides through the command path.
package rollout

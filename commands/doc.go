// Package commands validates what users and workers ask for, decides it
// against the app's current state, and appends the resulting events with
// optimistic concurrency. One file per command.
package commands

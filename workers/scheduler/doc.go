// Package scheduler places and removes app instances: it follows the event stream, decides each app's plan with placement, claims host ports and appends the decision through the command handler.
package scheduler

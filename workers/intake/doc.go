// Package intake checks the facts agents claim (the host comes from the subject their credential may publish on, never from the payload) and appends the true ones to the event log.
package intake

// Package hostbus is the per-host side of the event bus: each host's assignments (the events about its own instances) and the facts its agent claims, on subjects that carry the host id so NATS permissions can confine an agent to its own host.
package hostbus

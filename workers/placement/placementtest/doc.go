// Package placementtest is an in-memory cluster that applies and records placement plans, for simulating scheduling without any I/O.
package placementtest

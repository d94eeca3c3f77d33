// Package agent is the host daemon: it registers its host, runs the instances scheduled on it and reports what they do.
package agent

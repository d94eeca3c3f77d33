// Package service wires Berth's roles — server, agent, dev — from their
// configs: one function per role returning what it started and a cleanup.
package service

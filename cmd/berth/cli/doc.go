// Package cli is the berth command line: the client commands that talk to
// the API, and the server, agent and dev roles.
package cli

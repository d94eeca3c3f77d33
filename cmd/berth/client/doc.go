// Package client talks to Berth's HTTP API for the CLI.
package client

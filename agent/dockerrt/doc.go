// Package dockerrt is the agent's narrow container runtime over the Docker Engine API.
package dockerrt

// Package intake receives container logs as syslog over UDP and TCP and hands them on in batches.
package intake

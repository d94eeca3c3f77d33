// Package record defines one log line as it travels from syslog intake to the stores.
package record

// Package bench sends Docker-style syslog load and waits for a receiver to take it all, for comparing Berth's log intake with rsyslog.
package bench

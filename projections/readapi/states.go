package readapi

// Instance states, as package projections stores them.
var instanceStates = []string{"scheduled", "running", "healthy", "unhealthy", "exited", "unscheduled", "stopped"}

// placedStates are the instances that hold a place on their host: listed
// by default and counted in a host's usage. Exited, unscheduled (being
// stopped) and stopped instances are history (?all=1).
var placedStates = []string{"scheduled", "running", "healthy", "unhealthy"}

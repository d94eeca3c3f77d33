package events

// Security holds an app's opt-ins beyond the locked-down container
// defaults every instance gets (no-new-privileges, NET_RAW dropped, a
// pids limit, Docker's default seccomp profile).
type Security struct {
	// ReadOnly runs the root filesystem read-only, with a tmpfs on /tmp.
	ReadOnly bool `json:"read_only,omitempty"`
	// User is "UID[:GID]" to run as instead of the image's user.
	User string `json:"user,omitempty"`
	// CapAdd are capabilities added back, each on the server's allow-list.
	CapAdd []string `json:"cap_add,omitempty"`
}

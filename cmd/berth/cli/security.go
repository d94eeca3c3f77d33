package cli

import "github.com/spf13/cobra"

// securityFlags are a deploy's container opt-ins.
func securityFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Bool("read-only", false, "run with a read-only root filesystem (and a tmpfs /tmp)")
	f.String("user", "", "run as UID[:GID] instead of the image's user")
	f.StringSlice("cap-add", nil, "add capabilities the server allows (--cap-add-allow), e.g. NET_RAW")
}

func addSecurity(cmd *cobra.Command, body map[string]any) {
	f := cmd.Flags()
	if v, _ := f.GetBool("read-only"); v {
		body["read_only"] = true
	}
	if v, _ := f.GetString("user"); v != "" {
		body["user"] = v
	}
	if v, _ := f.GetStringSlice("cap-add"); len(v) > 0 {
		body["cap_add"] = v
	}
}

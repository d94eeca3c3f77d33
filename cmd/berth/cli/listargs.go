package cli

// listArgs is a list given on the command line where the single word
// "none" means the empty list, as `berth domains APP none` and
// `berth deny APP none` say in their help; no words mean the same.
func listArgs(a []string) []string {
	if len(a) == 1 && a[0] == "none" {
		return []string{}
	}
	return nonNil(a)
}

package pgserver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// findBinDir picks the directory holding initdb and pg_ctl.
func findBinDir(configured string) (string, error) {
	if configured == "" {
		configured = os.Getenv("BERTH_PG_BIN")
	}
	if configured != "" {
		if !hasTools(configured) {
			return "", fmt.Errorf("no initdb/pg_ctl in %s", configured)
		}
		return configured, nil
	}
	if dir := newestDebianBin(); dir != "" {
		return dir, nil
	}
	path, err := exec.LookPath("pg_ctl")
	if err != nil {
		return "", fmt.Errorf("find postgresql binaries: set BERTH_PG_BIN: %w", err)
	}
	path, err = filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("resolve pg_ctl: %w", err)
	}
	dir := filepath.Dir(path)
	if !hasTools(dir) {
		return "", fmt.Errorf("no initdb beside %s", path)
	}
	return dir, nil
}

// newestDebianBin returns the highest-versioned /usr/lib/postgresql/*/bin.
func newestDebianBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if hasTools(d) {
			return d
		}
	}
	return ""
}

// version turns /usr/lib/postgresql/9.6/bin into 9.6 for ordering.
func version(binDir string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSpace(filepath.Base(filepath.Dir(binDir))), 64)
	return v
}

func hasTools(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}

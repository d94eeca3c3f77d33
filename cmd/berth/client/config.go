package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Config is what `berth dev` leaves for the CLI: where the API is and an
// admin token, so the first commands need no copying. File mode 0600.
type Config struct {
	API   string `json:"api"`
	Token string `json:"token"`
}

// ConfigPath is $BERTH_CONFIG, else ~/.config/berth/config.
func ConfigPath() string {
	if p := os.Getenv("BERTH_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "berth", "config")
}

// LoadConfig reads path; a missing file is an empty config.
func LoadConfig(path string) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("client config: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("client config %s: %w", path, err)
	}
	return c, nil
}

// Save writes c to path, readable by its owner only.
func (c Config) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("client config dir: %w", err)
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write client config: %w", err)
	}
	return os.Chmod(path, 0o600)
}

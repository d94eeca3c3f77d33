package main

import (
	"fmt"
	"time"
)

// config is what the testapp reads from its environment.
type config struct {
	Port     string
	App      string
	Instance string
	HostIP   string
	LogEvery time.Duration
}

func configFromEnv(getenv func(string) string) (config, error) {
	c := config{
		Port:     getenv("PORT"),
		App:      getenv("BERTH_APP"),
		Instance: getenv("BERTH_INSTANCE"),
		HostIP:   getenv("HOST_IP"),
	}
	if c.Port == "" {
		c.Port = "8080"
	}
	if v := getenv("TESTAPP_LOG_EVERY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("TESTAPP_LOG_EVERY=%q: want a positive duration", v)
		}
		c.LogEvery = d
	}
	return c, nil
}

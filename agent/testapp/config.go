package main

import (
	"fmt"
	"strconv"
	"time"
)

// config is what the testapp reads from its environment.
type config struct {
	Port     string
	App      string
	Instance string
	HostIP   string
	LogEvery time.Duration
	// Version is shown by GET / (TESTAPP_VERSION), so a client sees which
	// release answered.
	Version string
	// FailRate is the share of GET / answered 500 (TESTAPP_FAIL_RATE,
	// 0..1), spread evenly: a canary that must be caught.
	FailRate float64
	// ExitAtStart makes the process exit with this code at once
	// (TESTAPP_EXIT_AT_START): a release that crashes at start.
	ExitAtStart int
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
	c.Version = getenv("TESTAPP_VERSION")
	if v := getenv("TESTAPP_FAIL_RATE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return c, fmt.Errorf("TESTAPP_FAIL_RATE=%q: want a share between 0 and 1", v)
		}
		c.FailRate = f
	}
	if v := getenv("TESTAPP_EXIT_AT_START"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 255 {
			return c, fmt.Errorf("TESTAPP_EXIT_AT_START=%q: want an exit code 0..255", v)
		}
		c.ExitAtStart = n
	}
	return c, nil
}

package commands_test

import (
	"encoding/json"
	"time"
)

func timeNow() time.Time { return time.Now() }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

package main

import (
	"strings"
	"testing"
)

// withByteDefaults sets c's bounds in bytes to their defaults.
func withByteDefaults(c Config) Config {
	c.MaxQueueBytes, c.MaxBroadcastBytes = 64<<20, 64<<20
	c.LongPollMaxBytes, c.MaxInflightBytes = 4<<20, 128<<20
	return c
}

// The bounds in bytes are read from the environment, each a positive
// number of bytes and none smaller than one message (MAX_MESSAGE_SIZE), nor
// the bytes in flight smaller than a long poll's answer: such a bound
// would refuse the largest message alone.
func TestByteSettings(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"MAX_QUEUE_BYTES":     "1048576",
		"MAX_BROADCAST_BYTES": "2097152",
		"LONG_POLL_MAX_BYTES": "524288",
		"MAX_INFLIGHT_BYTES":  "8388608",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxQueueBytes != 1<<20 || cfg.MaxBroadcastBytes != 2<<20 || cfg.LongPollMaxBytes != 512<<10 || cfg.MaxInflightBytes != 8<<20 {
		t.Errorf("bounds from env: %+v", cfg)
	}
	for _, tc := range []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{"MAX_QUEUE_BYTES": "0"}, "MAX_QUEUE_BYTES"},
		{map[string]string{"MAX_BROADCAST_BYTES": "64MiB"}, "MAX_BROADCAST_BYTES"},
		{map[string]string{"LONG_POLL_MAX_BYTES": "-1"}, "LONG_POLL_MAX_BYTES"},
		{map[string]string{"MAX_QUEUE_BYTES": "1000"}, "MAX_QUEUE_BYTES"},           // under MAX_MESSAGE_SIZE
		{map[string]string{"MAX_BROADCAST_BYTES": "262143"}, "MAX_BROADCAST_BYTES"}, // likewise
		{map[string]string{"MAX_INFLIGHT_BYTES": "1048576"}, "MAX_INFLIGHT_BYTES"},  // under LONG_POLL_MAX_BYTES
	} {
		if _, err := loadConfig(env(tc.env)); err == nil || !strings.Contains(err.Error(), tc.name+"=") {
			t.Errorf("%v: %v, want an error naming %s", tc.env, err, tc.name)
		}
	}
}

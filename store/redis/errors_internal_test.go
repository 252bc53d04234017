package redis

import (
	"errors"
	"testing"
)

// An ordinary error is not unreachable (a MOVED reply is: see
// TestCluster's MovedIsUnreachable).
func TestOrdinaryErrorIsReachable(t *testing.T) {
	if unreachable(errors.New("ERR unknown command")) {
		t.Error("an ordinary error counts as unreachable")
	}
}

// serverError is a reply error as go-redis reports it.
type serverError string

func (e serverError) Error() string { return string(e) }
func (serverError) RedisError()     {}

// The replies of a server that cannot serve now, but may soon, are
// unavailable; those that name a mistake in the request, or a key that
// merely looks like one of those words, are not.
func TestCannotServeNowReplies(t *testing.T) {
	for msg, want := range map[string]bool{
		"OOM command not allowed when used memory > 'maxmemory'. script: a29a, on @user_script:1.": true,
		"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.":   true,
		"NOREPLICAS Not enough good replicas to write.":                                            true,
		"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist":  true,
		"READONLY You can't write against a read only replica.":                                    true,
		"LOADING Redis is loading the dataset in memory":                                           true,
		"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.":         true,
		"TRYAGAIN Multiple keys request during rehashing of slot":                                  true,
		"CLUSTERDOWN The cluster is down":                                                          true,
		"BUSYKEY Target key name already exists.":                                                  false,
		"BUSYGROUP Consumer Group name already exists":                                             false,
		"WRONGTYPE Operation against a key holding the wrong kind of value":                        false,
		"ERR Error running script: @user_script:3: bad argument":                                   false,
		"NOSCRIPT No matching script.":                                                             false,
	} {
		if got := unreachable(serverError(msg)); got != want {
			t.Errorf("%q: unreachable = %v, want %v", msg, got, want)
		}
	}
}

package redis

import (
	"maps"
	"strings"
	"testing"
)

// The replicas of the node flagged myself, failed ones included; a
// nofailover one is not promotable; another primary's are not its own.
func TestClusterReplicas(t *testing.T) {
	text := strings.Join([]string{
		"a1 10.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460",
		"b1 10.0.0.2:7000@17000,node-b master - 0 0 2 connected 5461-16383",
		"a2 10.0.0.3:7000@17000 slave a1 0 0 1 connected",
		"a3 10.0.0.4:7000@17000 slave,fail a1 0 0 1 disconnected",
		"a4 10.0.0.5:7000@17000,node-a4 slave,nofailover a1 0 0 1 connected",
		"b2 10.0.0.6:7000@17000 slave b1 0 0 2 connected",
		"",
	}, "\n")
	want := map[string]replica{
		"10.0.0.3:7000": {priority: 1},
		"10.0.0.4:7000": {priority: 1},
		"10.0.0.5:7000": {priority: 0},
	}
	if got := clusterReplicas(text); !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := clusterReplicas(strings.ReplaceAll(text, "myself,", "")); len(got) != 0 {
		t.Errorf("without myself: %v", got)
	}
}

// INFO replication of a primary: its replicas, online or not; a replica's
// own INFO is refused as a primary's.
func TestParseReplication(t *testing.T) {
	text := "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" +
		"slave0:ip=10.0.0.2,port=6379,state=online,offset=42,lag=0\r\n" +
		"slave1:ip=::1,port=6380,state=wait_bgsave,offset=0,lag=0\r\n" +
		"master_replid:abc\r\nmaster_repl_offset:42\r\n"
	r, err := parseReplication(text)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"10.0.0.2:6379": true, "[::1]:6380": false}
	if r.replid != "abc" || !maps.Equal(r.replicas, want) {
		t.Errorf("got %+v, want replid abc and %v", r, want)
	}
	if _, err := parseReplication("role:slave\r\nslave_priority:0\r\n"); err == nil {
		t.Error("a replica's INFO read as a primary's")
	}
}

// tally counts a priority-0 replica in Needed only while it is online,
// and one whose priority is unknown as promotable.
func TestTally(t *testing.T) {
	got := tally("p", map[string]replica{
		"a": {priority: 100, online: true},
		"b": {priority: 100},
		"c": {priority: 0, online: true},
		"d": {priority: 0},
		"e": {priority: unknownPriority, online: true},
	})
	want := Replicas{Primary: "p", Needed: 4, Promotable: 3, Unread: 1, Online: 3}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

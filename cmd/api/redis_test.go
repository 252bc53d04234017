package main

import (
	"slices"
	"strings"
	"testing"
)

// TestRedisModes: REDIS_MODE chooses how REDIS_URL is read, and the
// target names its mode and addresses, never a secret.
func TestRedisModes(t *testing.T) {
	tests := []struct {
		name, mode, url string
		addrs           []string
		tls             bool
		user, password  string
	}{
		{"single", "", "redis://app:s3cret@10.0.0.1:6380/2", []string{"10.0.0.1:6380"}, false, "app", "s3cret"},
		{"single TLS", "single", "rediss://:pw@cache.example:6379", []string{"cache.example:6379"}, true, "", "pw"},
		{"cluster", "cluster", "redis://app:s3cret@h1:7000?addr=h2:7001&addr=h3:7002", []string{"h1:7000", "h2:7001", "h3:7002"}, false, "app", "s3cret"},
		{"cluster TLS", "cluster", "rediss://h1:7000?addr=h2:7001", []string{"h1:7000", "h2:7001"}, true, "", ""},
		{"sentinel", "sentinel", "redis://s1:26379?addr=s2:26379&addr=s3:26379&master_name=mymaster&username=app&password=s3cret",
			[]string{"s1:26379", "s2:26379", "s3:26379"}, false, "app", "s3cret"},
		{"sentinel TLS", "sentinel", "rediss://s1:26379?master_name=mymaster", []string{"s1:26379"}, true, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig(env(map[string]string{"REDIS_MODE": tc.mode, "REDIS_URL": tc.url}))
			if err != nil {
				t.Fatal(err)
			}
			tg, err := parseRedisTarget(cfg.RedisMode, cfg.RedisURL)
			if err != nil {
				t.Fatal(err)
			}
			if got := tg.addrs(); !slices.Equal(got, tc.addrs) {
				t.Errorf("addrs %v, want %v", got, tc.addrs)
			}
			var user, password string
			var tls bool
			switch {
			case tg.cluster != nil:
				user, password, tls = tg.cluster.Username, tg.cluster.Password, tg.cluster.TLSConfig != nil
			case tg.failover != nil:
				user, password, tls = tg.failover.Username, tg.failover.Password, tg.failover.TLSConfig != nil
				if tg.failover.MasterName != "mymaster" {
					t.Errorf("master %q", tg.failover.MasterName)
				}
			default:
				user, password, tls = tg.single.Username, tg.single.Password, tg.single.TLSConfig != nil
			}
			if user != tc.user || password != tc.password || tls != tc.tls {
				t.Errorf("user %q password %q tls %v, want %q %q %v", user, password, tls, tc.user, tc.password, tc.tls)
			}
			if tc.password != "" && strings.Contains(tg.String(), tc.password) {
				t.Errorf("%q shows the password", tg.String())
			}
		})
	}
}

// TestRedisModeErrors: a wrong mode or URL is refused at start-up, naming
// the variable and never the password.
func TestRedisModeErrors(t *testing.T) {
	tests := []struct{ name, mode, url, want string }{
		{"unknown mode", "replicated", "redis://h:1", "REDIS_MODE"},
		{"cluster without a URL", "cluster", "", "REDIS_URL: required with REDIS_MODE=cluster"},
		{"sentinel without a URL", "sentinel", "", "REDIS_URL: required with REDIS_MODE=sentinel"},
		{"sentinel without a master", "sentinel", "redis://:hunter2@s1:26379", "master_name"},
		{"bad scheme", "single", "http://:hunter2@h:1", "REDIS_URL"},
		{"cluster bad scheme", "cluster", "http://u:hunter2@h:1", "REDIS_URL"},
		{"cluster unknown option", "cluster", "redis://u:hunter2@h:1?bogus=hunter2", "REDIS_URL"},
		{"sentinel bad port", "sentinel", "redis://s1:26379?master_name=m&addr=nope&password=hunter2", "REDIS_URL"},
		{"unparsable", "single", "redis://u:hunter2@h:1:%zz", "REDIS_URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(env(map[string]string{"REDIS_MODE": tc.mode, "REDIS_URL": tc.url}))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

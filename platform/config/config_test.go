package config

import (
	"strings"
	"testing"
)

func TestEnvFallbackAndFlagOverride(t *testing.T) {
	t.Setenv("TONGDU_REDIS_URL", "redis://:hunter2@10.0.0.1:6379/0")
	t.Setenv("TONGDU_API_KEY", "topsecret")
	s := New("x")
	var redisURL, addr, key string
	s.String(&redisURL, "redis-url", "", "redis")
	s.String(&addr, "http-addr", ":8080", "http")
	s.Secret(&key, "api-key", "", "key")
	if err := s.Parse([]string{"--http-addr", ":9999"}); err != nil {
		t.Fatal(err)
	}
	if redisURL != "redis://:hunter2@10.0.0.1:6379/0" || addr != ":9999" || key != "topsecret" {
		t.Fatalf("got %q %q %q", redisURL, addr, key)
	}
	printed := strings.Join(s.Effective(), " ")
	if strings.Contains(printed, "hunter2") || strings.Contains(printed, "topsecret") {
		t.Fatalf("secret printed: %s", printed)
	}
	if !strings.Contains(printed, "http-addr=:9999") || !strings.Contains(printed, "api-key=********") {
		t.Fatalf("unexpected: %s", printed)
	}
}

func TestBadEnvIsAnError(t *testing.T) {
	t.Setenv("TONGDU_PAGE_LIMIT", "many")
	var n int
	if err := New("x").Int(&n, "page-limit", 10, "n"); err == nil {
		t.Fatal("want error for non-numeric env")
	}
}

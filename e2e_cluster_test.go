package main

import (
	"io"
	"net/http"
	"testing"
)

// metricsOf returns the text of base's /metrics.
func metricsOf(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// With a bbolt file the one replica runs the background work and takes the
// whole rate.
func TestOneReplicaLeadsAlone(t *testing.T) {
	fake := startFake(t)
	srv := startServe(t, baseConfig(t, fake))
	srv.waitReady(t)
	text := metricsOf(t, srv.base)
	if v := metricValue(t, text, "absorb_scim_worker_leader"); v != 1 {
		t.Errorf("absorb_scim_worker_leader %v, want 1", v)
	}
	if v := metricValue(t, text, "absorb_scim_replicas"); v != 1 {
		t.Errorf("absorb_scim_replicas %v, want 1", v)
	}
}

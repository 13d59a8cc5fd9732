package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") }))
	t.Cleanup(ok.Close)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(bad.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name, url string
		ok        bool
	}{
		{"healthy", ok.URL + "/healthz", true},
		{"unhealthy", bad.URL + "/healthz", false},
		{"nobody listening", closed.URL + "/healthz", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runCmd(t, "healthcheck", "-url", tc.url, "-timeout", "2s")
			if (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok %v", err, tc.ok)
			}
			if tc.ok && out != "ok\n" {
				t.Errorf("output %q", out)
			}
		})
	}
}

// dockerfile is what the tests read of the Dockerfile: its instructions,
// continuation lines joined, by keyword.
func dockerfile(t *testing.T) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	joined := strings.ReplaceAll(string(raw), "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kw, rest, _ := strings.Cut(line, " ")
		out[strings.ToUpper(kw)] = append(out[strings.ToUpper(kw)], strings.Join(strings.Fields(rest), " "))
	}
	return out
}

func TestDockerfile(t *testing.T) {
	df := dockerfile(t)
	env := envOf(df)
	var entrypoint, health []string
	if err := json.Unmarshal([]byte(df["ENTRYPOINT"][0]), &entrypoint); err != nil {
		t.Fatalf("ENTRYPOINT is not exec form: %v", err)
	}
	_, cmd, _ := strings.Cut(df["HEALTHCHECK"][0], "CMD ")
	if err := json.Unmarshal([]byte(cmd), &health); err != nil {
		t.Fatalf("HEALTHCHECK CMD is not exec form: %v", err)
	}
	_, listenPort, _ := net.SplitHostPort(env["ABSORB_SCIM_LISTEN"])
	tests := []struct {
		name string
		ok   bool
	}{
		{"builds with golang 1.26", strings.HasPrefix(df["FROM"][0], "golang:1.26 ")},
		{"static, trimmed build", strings.Contains(strings.Join(df["RUN"], " "), "CGO_ENABLED=0 go build -trimpath")},
		{"final image is distroless static or scratch", strings.HasPrefix(df["FROM"][1], "gcr.io/distroless/static") || df["FROM"][1] == "scratch"},
		{"runs as a non-root user", len(df["USER"]) == 1 && !strings.HasPrefix(df["USER"][0], "0") && !strings.HasPrefix(df["USER"][0], "root")},
		{"entrypoint serves", strings.Join(entrypoint, " ") == "/absorb-scim serve"},
		{"listens on all interfaces, port 8080", env["ABSORB_SCIM_LISTEN"] == "0.0.0.0:8080" && strings.Join(df["EXPOSE"], " ") == "8080"},
		{"data in the /data volume", env["ABSORB_SCIM_DATA_DIR"] == "/data" && strings.Join(df["VOLUME"], " ") == "/data"},
		{"health check is the healthcheck command", len(health) == 4 && health[0] == "/absorb-scim" && health[1] == "healthcheck" && health[2] == "-url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Errorf("Dockerfile: %v", df)
			}
		})
	}
	t.Run("health URL matches the listen port", func(t *testing.T) {
		u, err := url.Parse(health[3])
		if err != nil || u.Port() != listenPort || u.Hostname() != "127.0.0.1" || u.Path != "/healthz" {
			t.Errorf("health URL %q, listen port %q", health[3], listenPort)
		}
	})
	t.Run("environment alone is a valid configuration", func(t *testing.T) {
		env := map[string]string{
			"ABSORB_SCIM_ABSORB_REGION": "us", "ABSORB_SCIM_ABSORB_USERNAME": "scim-bridge",
			"ABSORB_SCIM_ABSORB_PRIVATE_KEY": "k", "ABSORB_SCIM_ABSORB_PASSWORD": "p", "ABSORB_SCIM_TOKEN": "t0ken-from-env-9Fh3Kd8Lq2Zx",
			"ABSORB_SCIM_PUBLIC_URL": "https://scim.example.com",
		}
		for k, v := range envOf(df) {
			env[k] = v
		}
		var out, errb strings.Builder
		if err := run(t.Context(), []string{"config", "check"}, func(k string) string { return env[k] }, &out, &errb); err != nil {
			t.Fatalf("config check: %v\n%s%s", err, errb.String(), out.String())
		}
	})
}

// envOf returns the ENV of a parsed Dockerfile.
func envOf(df map[string][]string) map[string]string {
	out := map[string]string{}
	for _, e := range df["ENV"] {
		for _, kv := range strings.Fields(e) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				out[k] = v
			}
		}
	}
	return out
}

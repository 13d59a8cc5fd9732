package main

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/doctor"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

func exitStatus(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		return 1
	}
}

func TestDoctorCommand(t *testing.T) {
	fake := startFake(t)
	cfg := baseConfig(t, fake)
	dataDir := cfg["dataDir"].(string)
	path := writeConfig(t, cfg)

	out, errOut, err := runCmd(t, "doctor", "-config", path, "-json", "-write-test", "probe@example.com", "-write-test-course", "Security Awareness")
	if err != nil {
		t.Fatalf("doctor: %v\nstderr:\n%s\nstdout:\n%s", err, errOut, out)
	}
	if !strings.Contains(errOut, `write test: creating or reusing learner "probe@example.com"`) {
		t.Errorf("the write test did not say what it would do before acting; stderr:\n%s", errOut)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("-json output: %v\n%s", err, out)
	}
	want := doctor.Behaviour{Create: "strict", Sort: "any", Put: "replace", Dates: "rfc3339", FilterPaging: "ok", Answers: "object", Upload: "update"}
	if !rep.OK || rep.Behaviour != want {
		t.Errorf("report ok %v, behaviour %+v; want ok and %+v", rep.OK, rep.Behaviour, want)
	}
	for _, key := range []string{`"ok"`, `"checks"`, `"name"`, `"detail"`, `"behaviour"`, `"filterPaging"`} {
		if !strings.Contains(out, key) {
			t.Errorf("-json output lacks %s", key)
		}
	}
	if strings.Contains(out+errOut, e2eAdminPassword) || strings.Contains(out+errOut, e2ePrivateKey) {
		t.Error("doctor printed a secret")
	}
	recorded, err := os.ReadFile(filepath.Join(dataDir, doctorFileName))
	if err != nil {
		t.Fatalf("doctor did not record its findings for serve: %v", err)
	}
	var saved doctor.Report
	if err := json.Unmarshal(recorded, &saved); err != nil || saved.Behaviour != want {
		t.Errorf("recorded behaviour %+v (%v), want %+v", saved.Behaviour, err, want)
	}

	// Text output, read-only: one line per check. What only the write test
	// finds out stays recorded.
	out, _, err = runCmd(t, "doctor", "-config", path)
	if err != nil || !strings.Contains(out, "ok   login") || !strings.Contains(out, "nothing blocks provisioning") {
		t.Errorf("doctor: %v\n%s", err, out)
	}
	if want := "ok   storage            bbolt " + dbPath(dataDir) + ": no data file yet"; !strings.Contains(out, want) {
		t.Errorf("doctor does not report the store as %q:\n%s", want, out)
	}
	if !strings.Contains(out, "create=unknown") || !strings.Contains(out, "upload=unknown") {
		t.Errorf("a run without the write test reports a create behaviour it did not probe:\n%s", out)
	}
	recorded, _ = os.ReadFile(filepath.Join(dataDir, doctorFileName))
	if err := json.Unmarshal(recorded, &saved); err != nil || saved.Behaviour != want {
		t.Errorf("after a read-only run the record holds %+v (%v), want %+v", saved.Behaviour, err, want)
	}
}

func TestDoctorCommandExitCodes(t *testing.T) {
	fake := startFake(t)
	cfg := baseConfig(t, fake)
	cfg["mapping"] = map[string]any{"defaultDepartment": "Compnay"}
	path := writeConfig(t, cfg)
	out, _, err := runCmd(t, "doctor", "-config", path)
	if code := exitStatus(err); code != 1 {
		t.Errorf("a default department that does not resolve: exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "FAIL") || !strings.Contains(out, "mapping.defaultDepartment") || !strings.Contains(out, `"Company"`) {
		t.Errorf("output does not name the key and the close match:\n%s", out)
	}

	cfg = baseConfig(t, fake)
	cfg["absorb"].(map[string]any)["password"] = "not-the-password"
	out, _, err = runCmd(t, "doctor", "-config", writeConfig(t, cfg))
	if code := exitStatus(err); code != 1 || !strings.Contains(out, "absorb.password") {
		t.Errorf("a wrong password: exit %d, want 1 and a line naming absorb.password\n%s", code, out)
	}

	for _, args := range [][]string{{"-no-such-flag"}, {"-config", path, "extra"}, {"-config", path, "-write-test-course", "x"}} {
		if _, _, err := runCmd(t, append([]string{"doctor"}, args...)...); exitStatus(err) != 2 {
			t.Errorf("doctor %v: exit %d, want 2", args, exitStatus(err))
		}
	}
	if _, errOut, err := runCmd(t, "doctor", "-h"); exitStatus(err) != 0 || !strings.Contains(errOut, "-write-test") {
		t.Errorf("doctor -h: exit %d, want 0 and its own flags:\n%s", exitStatus(err), errOut)
	}
}

// Every behaviour the fake can play is reported as what it is.
func TestDoctorCommandAgainstEveryVariant(t *testing.T) {
	v, err := fakeabsorb.ParseVariants("create=upsert,sort=limited,put=merge,dates=absorb,filterpaging=broken,answers=string,upload=keep")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: -1, Variants: v})
	if err != nil {
		t.Fatal(err)
	}
	tap := &absorbTap{next: srv}
	ts := httptest.NewServer(tap)
	t.Cleanup(ts.Close)
	cfg := baseConfig(t, &e2eFake{srv: srv, tap: tap, url: ts.URL})
	out, errOut, err := runCmd(t, "doctor", "-config", writeConfig(t, cfg), "-json", "-write-test", "probe@example.com")
	if err != nil {
		t.Fatalf("doctor: %v\n%s\n%s", err, errOut, out)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	want := doctor.Behaviour{Create: "upsert", Sort: "limited", Put: "merge", Dates: "absorb", FilterPaging: "broken", Answers: "string", Upload: "keep"}
	if rep.Behaviour != want {
		t.Errorf("behaviour %+v, want %+v", rep.Behaviour, want)
	}
}

// serve says at start what it knows of the portal: doctor's record, with
// what the configuration pins over it.
func TestServeLogsAbsorbBehaviour(t *testing.T) {
	fake := startFake(t)
	cfg := baseConfig(t, fake)
	rec := doctor.Report{OK: true, Behaviour: doctor.Behaviour{Create: "upsert", Sort: "limited", Put: "replace",
		Dates: "absorb", FilterPaging: "ok", Answers: "string"}}
	if err := recordDoctor(cfg["dataDir"].(string), rec); err != nil {
		t.Fatal(err)
	}
	cfg["absorb"].(map[string]any)["behaviour"] = map[string]any{"put": "merge", "upload": "update"}
	s := startServe(t, cfg)
	s.waitReady(t)
	var line map[string]any
	for _, l := range strings.Split(s.stderr.String(), "\n") {
		if strings.Contains(l, `"msg":"Absorb behaviour"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]any{"create": "upsert", "sort": "limited", "put": "merge", "dates": "absorb",
		"filterPaging": "ok", "answers": "string", "upload": "update", "pinned": "put,upload"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("logged %s = %v, want %v (line %v)", k, line[k], v, line)
		}
	}
}

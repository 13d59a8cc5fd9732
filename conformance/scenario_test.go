package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scenario is one data file of testdata/: an IdP's requests in order, each
// with what the bridge must answer and what Absorb must then hold.
type scenario struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Steps  []step `json:"steps"`
}

type step struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
	RawBody *string           `json:"rawBody"`

	Status        int               `json:"status"`
	ExpectHeaders map[string]string `json:"expectHeaders"`
	Expect        json.RawMessage   `json:"expect"`
	Absent        []string          `json:"absent"`
	EmptyBody     bool              `json:"emptyBody"`
	Save          map[string]string `json:"save"`
	Absorb        []absorbCheck     `json:"absorb"`
}

// absorbCheck is a check of the fake Absorb's state after a step. Checks
// are retried for a few seconds, since group rules act in the background.
type absorbCheck struct {
	Username string         `json:"username"`
	Count    *int           `json:"count"`
	Fields   map[string]any `json:"fields"`
	Courses  []string       `json:"courses"`
	// NotCourses are courses the user must not be enrolled in.
	NotCourses []string `json:"notCourses"`
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runScenario(t, loadScenario(t, file))
		})
	}
}

// loadScenario reads one data file of testdata/.
func loadScenario(t *testing.T, file string) scenario {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var sc scenario
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return sc
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z0-9_:. -]+)\}`)

func runScenario(t *testing.T, sc scenario) {
	fake := startFake(t, nil, "")
	srv := startServe(t, serveOptions{absorbURL: fake.url, groupRules: true})
	srv.waitReady(t, 20*time.Second)
	t.Cleanup(func() {
		// Whatever the scenario did, the bridge still stops cleanly.
		if code, err := srv.terminate(20 * time.Second); err != nil || code != 0 {
			t.Errorf("serve after the scenario, on SIGTERM: exit %d, %v", code, err)
		}
	})
	playScenario(t, sc, srv.idp(), fake.auditor(t))
}

// playScenario sends the scenario's requests through idp and checks the
// answers, and Absorb's state through ab.
func playScenario(t *testing.T, sc scenario, idp *idpClient, ab *absorb) {
	t.Helper()
	vars := map[string]string{}
	expand := func(s string) string {
		return varRef.ReplaceAllStringFunc(s, func(m string) string {
			key := varRef.FindStringSubmatch(m)[1]
			if dept, ok := strings.CutPrefix(key, "dept:"); ok {
				return ab.departmentID(t, dept)
			}
			v, ok := vars[key]
			if !ok {
				t.Fatalf("variable %s is not set", key)
			}
			return v
		})
	}
	for i, st := range sc.Steps {
		label := fmt.Sprintf("step %d %s %s", i+1, st.Method, st.Path)
		if st.Name != "" {
			label += " (" + st.Name + ")"
		}
		var body []byte
		switch {
		case st.RawBody != nil:
			body = []byte(expand(*st.RawBody))
		case len(st.Body) > 0:
			body = []byte(expand(string(st.Body)))
		}
		headers := map[string]string{}
		for k, v := range st.Headers {
			headers[k] = expand(v)
		}
		status, hdr, got := idp.exchange(t, st.Method, expand(st.Path), body, headers)
		if st.Status != 0 && status != st.Status {
			t.Fatalf("%s: status %d, want %d; body: %s", label, status, st.Status, got)
		}
		for k, want := range st.ExpectHeaders {
			if h := hdr.Get(k); !strings.HasPrefix(h, expand(want)) {
				t.Errorf("%s: header %s = %q, want prefix %q", label, k, h, want)
			}
		}
		if st.EmptyBody && len(got) != 0 {
			t.Errorf("%s: body %s, want none", label, got)
		}
		var doc any
		if len(got) > 0 {
			if err := json.Unmarshal(got, &doc); err != nil {
				t.Fatalf("%s: body is not JSON: %v: %s", label, err, got)
			}
		}
		if len(st.Expect) > 0 {
			var want any
			if err := json.Unmarshal([]byte(expand(string(st.Expect))), &want); err != nil {
				t.Fatalf("%s: bad expect: %v", label, err)
			}
			if err := subset(want, doc, "$"); err != nil {
				t.Errorf("%s: %v\nbody: %s", label, err, got)
			}
		}
		for _, p := range st.Absent {
			if v, ok := lookup(doc, p); ok {
				t.Errorf("%s: %s is present (%v), want absent", label, p, v)
			}
		}
		for name, p := range st.Save {
			v, ok := lookup(doc, p)
			if !ok {
				t.Fatalf("%s: cannot save %s: %s missing in %s", label, name, p, got)
			}
			vars[name] = fmt.Sprint(v)
		}
		for _, c := range st.Absorb {
			checkAbsorb(t, label, ab, c, expand)
		}
	}
}

func checkAbsorb(t *testing.T, label string, ab *absorb, c absorbCheck, expand func(string) string) {
	t.Helper()
	var err error
	if !poll(5*time.Second, 50*time.Millisecond, func() bool {
		err = absorbMismatch(t, ab, c, expand)
		return err == nil
	}) {
		t.Errorf("%s: Absorb: %v", label, err)
	}
}

func absorbMismatch(t *testing.T, ab *absorb, c absorbCheck, expand func(string) string) error {
	username := expand(c.Username)
	users := ab.usersNamed(t, username)
	if c.Count != nil && len(users) != *c.Count {
		return fmt.Errorf("%d users named %q, want %d", len(users), username, *c.Count)
	}
	if c.Fields == nil && c.Courses == nil && c.NotCourses == nil {
		return nil
	}
	if len(users) != 1 {
		return fmt.Errorf("%d users named %q, want exactly one to check", len(users), username)
	}
	u := users[0]
	for k, want := range c.Fields {
		if s, ok := want.(string); ok {
			want = expand(s)
		}
		got, present := u[k]
		if want == nil {
			if present && got != nil && got != "" {
				return fmt.Errorf("user %q field %s = %v, want empty", username, k, got)
			}
			continue
		}
		if err := subset(want, got, k); err != nil {
			return fmt.Errorf("user %q: %v", username, err)
		}
	}
	if c.Courses != nil || c.NotCourses != nil {
		have := ab.courseNames(t, fmt.Sprint(u["id"]))
		sort.Strings(have)
		for _, want := range c.Courses {
			if !contains(have, want) {
				return fmt.Errorf("user %q is enrolled in %v, want %q among them", username, have, want)
			}
		}
		for _, not := range c.NotCourses {
			if contains(have, not) {
				return fmt.Errorf("user %q is enrolled in %v, want not %q", username, have, not)
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// subset checks that got contains want: objects key by key, arrays element
// by element in any order (an empty expected array means an empty array),
// scalars equal. The string "$any" matches any present value.
func subset(want, got any, at string) error {
	if s, ok := want.(string); ok && s == "$any" {
		if got == nil {
			return fmt.Errorf("%s: missing", at)
		}
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %v, want an object", at, got)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("%s.%s: missing", at, k)
			}
			if err := subset(wv, gv, at+"."+k); err != nil {
				return err
			}
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Errorf("%s: got %v, want an array", at, got)
		}
		if len(w) == 0 && len(g) != 0 {
			return fmt.Errorf("%s: got %d elements, want none", at, len(g))
		}
		used := make([]bool, len(g))
	next:
		for i, wv := range w {
			for j, gv := range g {
				if !used[j] && subset(wv, gv, at) == nil {
					used[j] = true
					continue next
				}
			}
			return fmt.Errorf("%s[%d]: no element matches %v in %v", at, i, wv, got)
		}
		return nil
	default:
		if !reflect.DeepEqual(want, got) {
			return fmt.Errorf("%s: got %v, want %v", at, got, want)
		}
		return nil
	}
}

// lookup reads a dotted path (numbers index arrays) in a decoded document.
func lookup(doc any, path string) (any, bool) {
	cur := doc
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
)

// TestTenantsOnReplicas runs two `serve` replicas on one PostgreSQL
// database, each serving the same two tenants, each tenant its own
// `fake-absorb` portal. Each tenant's IdP sends its requests to the
// replicas in turn, as through a load balancer, with the same userName in
// both tenants: creates, a PATCH, a group its rule maps to a department and
// a course, a deactivation. Each portal must end up with exactly its own
// users, department and enrollments, once each; every SCIM id must answer
// on both replicas under its own tenant and nowhere under the other; a
// credential must open only its own tenant on either replica; each portal
// must have seen one login (the tenant's shared token) and no 429; and one
// replica must hold each tenant's worker lease.
func TestTenantsOnReplicas(t *testing.T) {
	if os.Getenv(pgtest.EnvVar) == "" {
		t.Skip("two replicas serving tenants on one database: " + pgtest.SkipMessage)
	}
	t.Parallel()
	dbURL := pgtest.URL(t) // fails the test when the server does not answer
	const (
		entra, okta           = "entra-eu", "okta-us"
		entraToken, oktaToken = "entra-eu-token-0123456789abcdef", "okta-us-token-0123456789abcdef"
	)
	fakeE, fakeO := startFake(t, nil, ""), startFake(t, nil, "")
	// The auditor logs in before the replicas start and its login is
	// forgotten, so the fakes' login counts are the replicas' alone.
	abE, abO := fakeE.auditor(t), fakeO.auditor(t)
	seedE, seedO := abE.allUserNames(t), abO.allUserNames(t)
	fakeE.resetStats(t)
	fakeO.resetStats(t)

	specs := []tenantSpec{
		{id: entra, absorbURL: fakeE.url, token: entraToken, rules: entraRules},
		{id: okta, absorbURL: fakeO.url, token: oktaToken, rules: oktaRules},
	}
	storage := fmt.Sprintf("storage:\n  driver: postgres\n  postgres:\n    url: %s\n", dbURL)
	replicas := make([]*serveProc, 2)
	for i := range replicas {
		dir := shareableTempDir(t)
		cfgPath := filepath.Join(dir, "absorb-scim.yaml")
		sock := mustBindSocket(t, "")
		writeTenantsConfigOn(t, cfgPath, sock.addr, filepath.Join(dir, "data"), storage, specs)
		p, err := startProc(t, "serve", append([]string{"serve", "-config", cfgPath}, listenFDArgs...), nil, sock)
		if err != nil {
			t.Fatal(err)
		}
		srv := &serveProc{proc: p, cfgPath: cfgPath, addr: sock.addr, base: "http://" + sock.addr}
		replicas[i] = srv
		t.Cleanup(func() {
			if !srv.exited() {
				if code, err := srv.terminate(20 * time.Second); err != nil || code != 0 {
					t.Errorf("replica %d on SIGTERM: exit %d, %v", i, code, err)
				}
			}
		})
	}
	for i, r := range replicas {
		if err := r.waitHealthy(); err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	for i, r := range replicas {
		for _, id := range []string{entra, okta} {
			waitFor(t, 20*time.Second, fmt.Sprintf("tenant %s ready on replica %d", id, i), func() bool {
				status, _ := probe(r.base + "/tenants/" + id + "/readyz")
				return status == http.StatusOK
			})
		}
	}
	defer func() {
		if t.Failed() {
			for i, r := range replicas {
				t.Logf("replica %d warnings and errors (last 30):\n%s", i, problems(r.logs.String(), 30))
			}
		}
	}()

	// tenant is one tenant's IdP, its clients one per replica, and what it
	// provisioned.
	type tenant struct {
		id, token    string
		idps         []*idpClient // by replica
		sent         int
		ab           *absorb
		fake         *fakeProc
		dept, course string // its rule for Field Team
		ids          map[string]string
		seed         []string
		group        string
		other        string // the other tenant's course
	}
	tenants := []*tenant{
		{id: entra, token: entraToken, ab: abE, fake: fakeE, dept: "Support", course: "Security Awareness", seed: seedE, other: "New Hire Onboarding"},
		{id: okta, token: oktaToken, ab: abO, fake: fakeO, dept: "Research", course: "New Hire Onboarding", seed: seedO, other: "Security Awareness"},
	}
	for i, tn := range tenants {
		tn.ids = map[string]string{}
		for _, r := range replicas {
			tn.idps = append(tn.idps, r.tenantIdP(tn.id, tn.token))
		}
		// The tenants start on different replicas, so every step of
		// each reaches both replicas over the run and, at each step, the
		// two tenants are on different ones.
		tn.sent = i
	}
	// next is the tenant's client for its next request: the replicas in
	// turn.
	next := func(tn *tenant) *idpClient {
		c := tn.idps[tn.sent%len(tn.idps)]
		tn.sent++
		return c
	}
	people := []string{"alex@example.com", "sam@example.com"}
	// Every step is taken by both tenants before the next, so their writes
	// interleave on the shared database.
	steps := []func(tn *tenant){
		func(tn *tenant) {
			u := next(tn).must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc(people[0], "Alex", "Field", nil)).doc()
			tn.ids[people[0]] = fmt.Sprint(u["id"])
		},
		func(tn *tenant) {
			u := next(tn).must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc(people[1], "Sam", "Field", nil)).doc()
			tn.ids[people[1]] = fmt.Sprint(u["id"])
		},
		func(tn *tenant) {
			next(tn).must(t, http.StatusOK, http.MethodPatch, "/Users/"+tn.ids[people[0]], patchOp(map[string]any{
				"op": "replace", "path": "name.givenName", "value": "Alexandra " + tn.id,
			}))
		},
		func(tn *tenant) {
			g := next(tn).must(t, http.StatusCreated, http.MethodPost, "/Groups", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Field Team",
				"members": []any{map[string]any{"value": tn.ids[people[0]]}, map[string]any{"value": tn.ids[people[1]]}},
			}).doc()
			tn.group = fmt.Sprint(g["id"])
		},
		func(tn *tenant) {
			next(tn).must(t, http.StatusOK, http.MethodPatch, "/Users/"+tn.ids[people[1]], patchOp(map[string]any{
				"op": "replace", "path": "active", "value": false,
			}))
		},
	}
	for _, step := range steps {
		for _, tn := range tenants {
			step(tn)
		}
	}

	// The group rule's department and enrollments may be applied in the
	// background by the tenant's worker, and nothing tells a client when
	// it is done: poll each portal until its end state holds.
	portalState := func(tn *tenant) error {
		want := slices.Concat(tn.seed, people)
		sort.Strings(want)
		if got := tn.ab.allUserNames(t); !slices.Equal(got, want) {
			return fmt.Errorf("users %v, want %v", got, want)
		}
		var depts struct {
			Departments []map[string]any `json:"departments"`
		}
		tn.ab.get(t, "/departments", map[string][]string{"_limit": {"1000"}}, &depts)
		named := 0
		for _, d := range depts.Departments {
			if strings.EqualFold(fmt.Sprint(d["name"]), tn.dept) {
				named++
			}
		}
		if named != 1 {
			return fmt.Errorf("%d departments named %s, want 1", named, tn.dept)
		}
		deptID := tn.ab.departmentID(t, tn.dept)
		for _, name := range people {
			users := tn.ab.usersNamed(t, name)
			if len(users) != 1 {
				return fmt.Errorf("%d accounts %s, want 1", len(users), name)
			}
			u := users[0]
			if got := fmt.Sprint(u["departmentId"]); got != deptID {
				return fmt.Errorf("%s in department %s, want %s (%s)", name, got, deptID, tn.dept)
			}
			courses := tn.ab.courseNames(t, fmt.Sprint(u["id"]))
			if n := countOf(courses, tn.course); n != 1 || slices.Contains(courses, tn.other) {
				return fmt.Errorf("%s enrolled in %v, want %s once and not %s", name, courses, tn.course, tn.other)
			}
		}
		alex, sam := tn.ab.usersNamed(t, people[0])[0], tn.ab.usersNamed(t, people[1])[0]
		if got, want := fmt.Sprint(alex["firstName"]), "Alexandra "+tn.id; got != want {
			return fmt.Errorf("%s's first name %q, want %q (the PATCH)", people[0], got, want)
		}
		if fmt.Sprint(alex["activeStatus"]) != "0" || fmt.Sprint(sam["activeStatus"]) != "1" {
			return fmt.Errorf("activeStatus %v of %s and %v of %s, want 0 (active) and 1 (deactivated)",
				alex["activeStatus"], people[0], sam["activeStatus"], people[1])
		}
		return nil
	}
	for _, tn := range tenants {
		var err error
		if !poll(10*time.Second, 100*time.Millisecond, func() bool { err = portalState(tn); return err == nil }) {
			t.Errorf("%s's portal: %v", tn.id, err)
		}
	}

	// Each tenant's ids answer on every replica under its own URL, and
	// under the other tenant's name nothing.
	for i, tn := range tenants {
		other := tenants[1-i]
		for r := range replicas {
			for name, id := range tn.ids {
				got := tn.idps[r].must(t, http.StatusOK, http.MethodGet, "/Users/"+id, nil).doc()
				if got["userName"] != name {
					t.Errorf("replica %d, tenant %s: GET /Users/%s is %v, want %s", r, tn.id, id, got["userName"], name)
				}
				other.idps[r].must(t, http.StatusNotFound, http.MethodGet, "/Users/"+id, nil)
			}
			// The IdP's match-before-create: a filter finds the tenant's
			// own resource alone, though the other tenant has one of the
			// same name in the same database.
			for path, id := range map[string]string{
				`/Users?filter=userName eq "` + people[0] + `"`: tn.ids[people[0]],
				`/Groups?filter=displayName eq "Field Team"`:    tn.group,
			} {
				var list struct {
					TotalResults int              `json:"totalResults"`
					Resources    []map[string]any `json:"Resources"`
				}
				if err := json.Unmarshal(tn.idps[r].must(t, http.StatusOK, http.MethodGet, path, nil).body, &list); err != nil {
					t.Fatal(err)
				}
				if list.TotalResults != 1 || len(list.Resources) != 1 || list.Resources[0]["id"] != id {
					t.Errorf("replica %d, tenant %s: GET %s found %d: %v, want only %s", r, tn.id, path, list.TotalResults, list.Resources, id)
				}
			}
			got := tn.idps[r].must(t, http.StatusOK, http.MethodGet, "/Groups/"+tn.group, nil).doc()
			if got["displayName"] != "Field Team" {
				t.Errorf("replica %d, tenant %s: GET /Groups/%s is %v", r, tn.id, tn.group, got["displayName"])
			}
			other.idps[r].must(t, http.StatusNotFound, http.MethodGet, "/Groups/"+tn.group, nil)

			// A credential opens only its own tenant, on every replica.
			wrong := *other.idps[r]
			wrong.token = tn.token
			wrong.must(t, http.StatusUnauthorized, http.MethodGet, "/Users/"+other.ids[people[0]], nil)
			wrong.must(t, http.StatusUnauthorized, http.MethodGet, "/Users", nil)
		}
	}

	// The replicas of a tenant share its token and its rate: one login
	// each portal, no 429.
	for _, tn := range tenants {
		if s := tn.fake.stats(t); s.Logins != 1 || s.Throttled != 0 {
			t.Errorf("%s's portal counted %d logins and %d 429s, want 1 and 0", tn.id, s.Logins, s.Throttled)
		}
	}

	// One replica per tenant runs its background work. The lease moves in
	// the replicas' own time and nothing announces it outside them: poll
	// their /metrics until each tenant has exactly one holder.
	for _, tn := range tenants {
		var seen []string
		if !poll(10*time.Second, 50*time.Millisecond, func() bool {
			seen = seen[:0]
			holders := 0
			for i, r := range replicas {
				v, ok := tenantGauge(r, "absorb_scim_worker_leader", tn.id)
				seen = append(seen, fmt.Sprintf("%d: %v/%v", i, v, ok))
				if ok && v == 1 {
					holders++
				}
			}
			return holders == 1
		}) {
			t.Errorf("tenant %s: want exactly one replica holding its worker lease; absorb_scim_worker_leader by replica %s", tn.id, strings.Join(seen, ", "))
		}
	}
}

// countOf is how many times s is in list.
func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// tenantGauge reads one metric of a tenant from a replica's /metrics (its
// series labelled tenant="id"); ok is false when the replica does not
// answer or lacks it.
func tenantGauge(s *serveProc, name, tenant string) (float64, bool) {
	status, body := probe(s.base + "/metrics")
	if status != http.StatusOK {
		return 0, false
	}
	prefix := fmt.Sprintf("%s{tenant=%q} ", name, tenant)
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

package conformance

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// userAttrs are the user attributes the concurrent writers change, by the
// PATCH path that sets them.
var userAttrs = []string{
	"title", "nickName", "displayName", "name.middleName", "userType", "preferredLanguage",
	enterpriseURN + ":employeeNumber", enterpriseURN + ":costCenter",
	enterpriseURN + ":organization", enterpriseURN + ":division",
}

// attrOf reads one of userAttrs from a SCIM user.
func attrOf(doc map[string]any, path string) any {
	if rest, ok := strings.CutPrefix(path, enterpriseURN+":"); ok {
		ext, _ := doc[enterpriseURN].(map[string]any)
		return ext[rest]
	}
	if rest, ok := strings.CutPrefix(path, "name."); ok {
		name, _ := doc["name"].(map[string]any)
		return name[rest]
	}
	return doc[path]
}

// write is one write whose answer carried the resource's new version.
type write struct {
	version int
	apply   func(model map[string]any)
	seen    map[string]any // the attributes the answer showed, nil for 204
	label   string
}

// versionOf reads the number in a W/"n" entity tag.
func versionOf(t *testing.T, etag string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(etag, "W/"), `"`))
	if err != nil {
		t.Fatalf("entity tag %q does not carry a version number", etag)
	}
	return n
}

// TestNoLostUpdates runs PATCH (Okta's path form and Entra's no-path form)
// and PUT concurrently on one user and on one group. Each answer carries
// the resource's version (RFC 7644 §3.14), which orders the writes: every
// version must be distinct, each answer must show exactly the state its
// write produced on top of the previous version, and replaying the writes
// in that order must give the final state. A lost update breaks one of the
// three.
func TestNoLostUpdates(t *testing.T) {
	t.Parallel()
	fake := startFake(t, nil, "latency=5ms")
	srv := startServe(t, serveOptions{absorbURL: fake.url})
	srv.waitReady(t, 20*time.Second)
	idp := srv.idp()

	t.Run("user", func(t *testing.T) {
		base := userDoc("contended@example.com", "Conn", "Tended", nil)
		r := idp.must(t, http.StatusCreated, http.MethodPost, "/Users", base)
		id := r.doc()["id"].(string)
		initial := map[string]any{}
		for _, a := range userAttrs {
			initial[a] = attrOf(r.doc(), a)
		}
		var (
			mu     sync.Mutex
			writes []write
			wg     sync.WaitGroup
		)
		record := func(w write) {
			mu.Lock()
			writes = append(writes, w)
			mu.Unlock()
		}
		for g := range len(userAttrs) + 2 {
			wg.Go(func() {
				for round := range 3 {
					value := fmt.Sprintf("w%d-r%d", g, round)
					var (
						method = http.MethodPatch
						body   any
						apply  func(map[string]any)
					)
					switch {
					case g < len(userAttrs):
						attr := userAttrs[g]
						if attr == "preferredLanguage" {
							value = []string{"en-US", "fr-FR", "de-DE"}[round]
						}
						op := map[string]any{"op": "replace", "path": attr, "value": value}
						if g%2 == 1 { // Entra's form: no path, dotted and URN keys
							op = map[string]any{"op": "Replace", "value": map[string]any{attr: value}}
						}
						body = patchOp(op)
						apply = func(m map[string]any) { m[attr] = value }
					default: // Okta's profile push: the whole user
						method = http.MethodPut
						doc := maps.Clone(base)
						name := map[string]any{"givenName": "Conn", "familyName": "Tended"}
						ext := map[string]any{}
						all := map[string]any{}
						for _, a := range userAttrs {
							v := any(value + "-" + a)
							if a == "preferredLanguage" {
								v = "en-GB"
							}
							all[a] = v
							switch {
							case strings.HasPrefix(a, enterpriseURN+":"):
								ext[strings.TrimPrefix(a, enterpriseURN+":")] = v
							case strings.HasPrefix(a, "name."):
								name[strings.TrimPrefix(a, "name.")] = v
							default:
								doc[a] = v
							}
						}
						doc["name"], doc[enterpriseURN] = name, ext
						doc["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:User", enterpriseURN}
						body = doc
						apply = func(m map[string]any) { maps.Copy(m, all) }
					}
					r, err := idp.send(context.Background(), method, "/Users/"+id, body)
					if err != nil || r.status != http.StatusOK {
						t.Errorf("writer %d round %d: %v %s", g, round, err, r)
						continue
					}
					seen := map[string]any{}
					for _, a := range userAttrs {
						seen[a] = attrOf(r.doc(), a)
					}
					record(write{version: versionOf(t, r.header.Get("ETag")), apply: apply, seen: seen, label: fmt.Sprintf("%s by writer %d round %d", method, g, round)})
				}
			})
		}
		wg.Wait()
		model := replay(t, writes, initial, versionOf(t, r.header.Get("ETag")))
		final := idp.must(t, http.StatusOK, http.MethodGet, "/Users/"+id, nil)
		got := map[string]any{}
		for _, a := range userAttrs {
			got[a] = attrOf(final.doc(), a)
		}
		if diff := cmp.Diff(model, got); diff != "" {
			t.Errorf("final user differs from the writes replayed in version order (-want +got):\n%s", diff)
		}
		accounts := fake.auditor(t).usersNamed(t, "contended@example.com")
		if len(accounts) != 1 {
			t.Fatalf("Absorb accounts: %d, want 1", len(accounts))
		}
		for field, attr := range map[string]string{"jobTitle": "title", "middleName": "name.middleName", "employeeNumber": enterpriseURN + ":employeeNumber"} {
			if accounts[0][field] != model[attr] {
				t.Errorf("Absorb %s = %v, want %v (SCIM %s)", field, accounts[0][field], model[attr], attr)
			}
		}
	})

	t.Run("group", func(t *testing.T) {
		var members []string
		for i := range 16 {
			r := idp.must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc(fmt.Sprintf("member-%02d@example.com", i), "Mem", fmt.Sprint(i), nil))
			members = append(members, r.doc()["id"].(string))
		}
		var initialMembers []any
		for _, m := range members[:8] {
			initialMembers = append(initialMembers, map[string]any{"value": m})
		}
		r := idp.must(t, http.StatusCreated, http.MethodPost, "/Groups", map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "Contended Group", "members": initialMembers,
		})
		gid := r.doc()["id"].(string)
		type groupState struct {
			name    string
			members map[string]bool
		}
		state := groupState{name: "Contended Group", members: map[string]bool{}}
		for _, m := range members[:8] {
			state.members[m] = true
		}
		var (
			mu     sync.Mutex
			writes []struct {
				version int
				apply   func(*groupState)
				label   string
			}
			wg sync.WaitGroup
		)
		send := func(label, method string, body any, apply func(*groupState)) {
			r, err := idp.send(context.Background(), method, "/Groups/"+gid, body)
			if err != nil || (r.status != http.StatusOK && r.status != http.StatusNoContent) {
				t.Errorf("%s: %v %s", label, err, r)
				return
			}
			mu.Lock()
			writes = append(writes, struct {
				version int
				apply   func(*groupState)
				label   string
			}{versionOf(t, r.header.Get("ETag")), apply, label})
			mu.Unlock()
		}
		for i, m := range members[8:] { // joins: Okta's and Entra's shapes
			wg.Go(func() {
				op := map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": m, "display": "m"}}}
				if i%2 == 1 {
					op = map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"$ref": nil, "value": m}}}
				}
				send("add "+m, http.MethodPatch, patchOp(op), func(s *groupState) { s.members[m] = true })
			})
		}
		for i, m := range members[:4] { // leaves
			wg.Go(func() {
				op := map[string]any{"op": "remove", "path": `members[value eq "` + m + `"]`}
				if i%2 == 1 {
					op = map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": m}}}
				}
				send("remove "+m, http.MethodPatch, patchOp(op), func(s *groupState) { delete(s.members, m) })
			})
		}
		for i := range 3 { // renames
			wg.Go(func() {
				name := fmt.Sprintf("Contended Group %d", i)
				send("rename "+name, http.MethodPatch, patchOp(map[string]any{"op": "Replace", "path": "displayName", "value": name}),
					func(s *groupState) { s.name = name })
			})
		}
		wg.Go(func() { // a full push of the group
			put := []any{}
			set := map[string]bool{}
			for _, m := range append(slices.Clone(members[2:6]), members[12:14]...) {
				put = append(put, map[string]any{"value": m})
				set[m] = true
			}
			send("PUT", http.MethodPut, map[string]any{
				"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
				"displayName": "Contended Group put", "members": put,
			}, func(s *groupState) { s.name, s.members = "Contended Group put", maps.Clone(set) })
		})
		wg.Wait()
		sort.Slice(writes, func(i, j int) bool { return writes[i].version < writes[j].version })
		// A write that changes nothing (a leave the full push already made)
		// keeps the version it found (RFC 7644 §3.5.2); every other write
		// has a version of its own. So of the writes answered with one
		// version, at most one changed the group, and only when the version
		// is new.
		prev := versionOf(t, r.header.Get("ETag"))
		changes := func(s groupState, apply func(*groupState)) bool {
			next := groupState{name: s.name, members: maps.Clone(s.members)}
			apply(&next)
			return next.name != s.name || !maps.Equal(next.members, s.members)
		}
		for i := 0; i < len(writes); {
			j := i
			for j < len(writes) && writes[j].version == writes[i].version {
				j++
			}
			same := writes[i:j]
			// The write that made this version is the one after which
			// every other write of the version changes nothing.
			noOps := func(s groupState, skip int) bool {
				for k, w := range same {
					if k != skip && changes(s, w.apply) {
						return false
					}
				}
				return true
			}
			changed := 0
			if !noOps(state, -1) {
				for k, w := range same {
					next := groupState{name: state.name, members: maps.Clone(state.members)}
					w.apply(&next)
					if changes(state, w.apply) && noOps(next, k) {
						state, changed = next, 1
						break
					}
				}
				if changed == 0 {
					t.Errorf("the writes answered version %d do not replay to one change", same[0].version)
				}
			}
			switch v := same[0].version; {
			case v < prev:
				t.Errorf("%s answered version %d, before %d", same[0].label, v, prev)
			case v == prev && changed > 0:
				t.Errorf("%s answered version %d, the version before its change", same[0].label, v)
			case v > prev && changed != 1:
				t.Errorf("no write changed the group at version %d", v)
			}
			prev = same[0].version
			i = j
		}
		final := idp.must(t, http.StatusOK, http.MethodGet, "/Groups/"+gid, nil)
		got := groupState{members: map[string]bool{}}
		got.name, _ = final.doc()["displayName"].(string)
		list, _ := final.doc()["members"].([]any)
		for _, m := range list {
			got.members[m.(map[string]any)["value"].(string)] = true
		}
		if diff := cmp.Diff(state, got, cmp.AllowUnexported(groupState{})); diff != "" {
			t.Errorf("final group differs from the writes replayed in version order (-want +got):\n%s", diff)
		}
	})
}

// replay orders writes by version and applies them to a copy of initial,
// checking that versions are distinct and that each answer showed the
// state its write produced. It returns the final state.
func replay(t *testing.T, writes []write, initial map[string]any, initialVersion int) map[string]any {
	t.Helper()
	sort.Slice(writes, func(i, j int) bool { return writes[i].version < writes[j].version })
	model := maps.Clone(initial)
	prev := initialVersion
	for _, w := range writes {
		if w.version <= prev {
			t.Errorf("%s answered version %d, not after %d: two writes share a version", w.label, w.version, prev)
		}
		prev = w.version
		w.apply(model)
		if w.seen != nil {
			if diff := cmp.Diff(model, w.seen); diff != "" {
				t.Errorf("%s (version %d) answered a state that is not the previous version plus its change (-want +got):\n%s", w.label, w.version, diff)
			}
		}
	}
	return model
}

// TestPreconditions checks If-Match and If-None-Match (RFC 7644 §3.14,
// RFC 9110 §13.1): a write naming a stale version is refused with 412 and
// changes nothing; of several writers racing with the same If-Match exactly
// one wins; a read naming the current version is answered 304.
func TestPreconditions(t *testing.T) {
	t.Parallel()
	fake := startFake(t, nil, "")
	srv := startServe(t, serveOptions{absorbURL: fake.url})
	srv.waitReady(t, 20*time.Second)
	idp := srv.idp()
	r := idp.must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc("etag@example.com", "E", "Tag", nil))
	uid := r.doc()["id"].(string)
	r = idp.must(t, http.StatusCreated, http.MethodPost, "/Groups", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "ETag Group",
		"members": []any{map[string]any{"value": uid}},
	})
	gid := r.doc()["id"].(string)

	for _, tc := range []struct {
		kind, path string
		patch      func(i int) map[string]any
		put        map[string]any
	}{
		{
			kind: "user", path: "/Users/" + uid,
			patch: func(i int) map[string]any {
				return patchOp(map[string]any{"op": "replace", "path": "title", "value": fmt.Sprintf("T%d", i)})
			},
			put: userDoc("etag@example.com", "E", "Tag", map[string]any{"title": "put"}),
		},
		{
			kind: "group", path: "/Groups/" + gid,
			patch: func(i int) map[string]any {
				return patchOp(map[string]any{"op": "replace", "path": "displayName", "value": fmt.Sprintf("ETag Group %d", i)})
			},
			put: map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "put"},
		},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			current := idp.must(t, http.StatusOK, http.MethodGet, tc.path, nil).header.Get("ETag")
			if current == "" {
				t.Fatal("GET answered no ETag")
			}
			r := idp.must(t, http.StatusNotModified, http.MethodGet, tc.path, nil, "If-None-Match", current)
			if len(r.body) != 0 {
				t.Errorf("304 with a body: %s", r.body)
			}
			idp.must(t, http.StatusOK, http.MethodGet, tc.path, nil, "If-None-Match", `W/"999999"`)

			stale := current
			r, err := idp.send(context.Background(), http.MethodPatch, tc.path, tc.patch(0), "If-Match", stale)
			if err != nil || r.status/100 != 2 {
				t.Fatalf("PATCH with the current If-Match: %v %s", err, r)
			}
			current = r.header.Get("ETag")
			if current == stale {
				t.Fatalf("a write kept the ETag %s", current)
			}
			for _, w := range []struct {
				method string
				body   any
			}{{http.MethodPatch, tc.patch(1)}, {http.MethodPut, tc.put}, {http.MethodDelete, nil}} {
				r := idp.must(t, http.StatusPreconditionFailed, w.method, tc.path, w.body, "If-Match", stale)
				if d := r.doc(); d["status"] != "412" {
					t.Errorf("%s with a stale If-Match: body %s", w.method, r)
				}
			}
			if got := idp.must(t, http.StatusOK, http.MethodGet, tc.path, nil).header.Get("ETag"); got != current {
				t.Errorf("refused writes changed the version: %s, want %s", got, current)
			}

			// Writers race with the same If-Match: one wins, the rest get 412.
			const racers = 8
			statuses := make([]int, racers)
			var wg sync.WaitGroup
			for i := range racers {
				wg.Go(func() {
					r, err := idp.send(context.Background(), http.MethodPatch, tc.path, tc.patch(10+i), "If-Match", current)
					if err != nil {
						t.Errorf("racer %d: %v", i, err)
						return
					}
					statuses[i] = r.status
				})
			}
			wg.Wait()
			won, refused := 0, 0
			for _, s := range statuses {
				switch {
				case s/100 == 2:
					won++
				case s == http.StatusPreconditionFailed:
					refused++
				}
			}
			if won != 1 || refused != racers-1 {
				t.Errorf("racers with one If-Match: %d won, %d got 412 (statuses %v); want 1 and %d", won, refused, statuses, racers-1)
			}
			idp.must(t, http.StatusPreconditionFailed, http.MethodPatch, tc.path, tc.patch(99), "If-Match", current)
		})
	}
}

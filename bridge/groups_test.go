package bridge_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/google/go-cmp/cmp"
)

// memberList is a members value naming the given user ids.
func memberList(ids ...string) []any {
	out := []any{}
	for _, id := range ids {
		out = append(out, map[string]any{"value": id})
	}
	return out
}

// groupDoc is a SCIM group document.
func groupDoc(name string, members ...string) scimdoc.Document {
	return scimdoc.Document{"schemas": []any{schemas.GroupURN}, "displayName": name, "members": memberList(members...)}
}

// createGroup stores a group and fails the test on error.
func (w *world) createGroup(name string, members ...string) scimdoc.Resource {
	w.t.Helper()
	res, err := w.b.CreateGroup(context.Background(), groupDoc(name, members...))
	if err != nil {
		w.t.Fatalf("CreateGroup(%s): %v", name, err)
	}
	return res
}

// patchGroup applies PATCH operations to a group.
func (w *world) patchGroup(id string, ops ...scimdoc.Operation) (scimdoc.Resource, error) {
	return w.b.PatchGroup(context.Background(), id, scimdoc.Precondition{}, ops)
}

// memberIDs returns a group's member ids, sorted.
func memberIDs(t *testing.T, w *world, groupID string) []string {
	t.Helper()
	g, err := w.b.GetGroup(context.Background(), groupID, true)
	if err != nil {
		t.Fatalf("GetGroup(%s): %v", groupID, err)
	}
	return idsOf(t, g.Doc["members"])
}

func idsOf(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok && v != nil {
		t.Fatalf("members is %T, want an array", v)
	}
	out := []string{}
	for _, m := range list {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	out := append([]string{}, ids...)
	slices.Sort(out)
	return out
}

// groupUsers creates n users and returns their SCIM ids.
func (w *world) groupUsers(n int) []string {
	w.t.Helper()
	var ids []string
	for i := range n {
		ids = append(ids, w.create(userDoc(fmt.Sprintf("member%d@example.com", i), "Member", fmt.Sprint(i))).ID)
	}
	return ids
}

func TestCreateGroupSkipsUnknownMembers(t *testing.T) {
	w := newWorld(t)
	u := w.groupUsers(2)
	w.resetCalls()
	res, err := w.b.CreateGroup(context.Background(), groupDoc("Team", u[0], "no-such-user", u[1]))
	if err != nil {
		t.Fatalf("an unknown member failed the create: %v", err)
	}
	if diff := cmp.Diff(sorted(u...), idsOf(t, res.Doc["members"])); diff != "" {
		t.Errorf("answered members (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sorted(u...), memberIDs(t, w, res.ID)); diff != "" {
		t.Errorf("stored members (-want +got):\n%s", diff)
	}
	// Groups live in the bridge: without rules nothing reaches Absorb.
	assertCalls(t, w, nil)
}

func TestCreateGroupRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	_, err := w.b.CreateGroup(ctx, scimdoc.Document{"schemas": []any{schemas.GroupURN}})
	scimError(t, err, http.StatusBadRequest)
	doc := groupDoc("With external id")
	doc["externalId"] = "grp-1"
	if _, err := w.b.CreateGroup(ctx, doc); err != nil {
		t.Fatal(err)
	}
	// RFC 7643 §3.1 leaves the uniqueness of externalId to the client: a
	// second group may have the same one, and a filter finds both.
	doc["displayName"] = "Same external id"
	second, err := w.b.CreateGroup(ctx, doc)
	if err != nil {
		t.Fatalf("a second group with the same externalId: %v", err)
	}
	page, err := w.b.ListGroups(ctx, scimdoc.Query{Filter: parseFilter(t, `externalId eq "grp-1"`), StartIndex: 1, Count: -1}, false)
	if err != nil || len(page.Resources) != 2 {
		t.Fatalf("externalId eq finds %d groups (%v), want 2 with %s", len(page.Resources), err, second.ID)
	}
	bad := groupDoc("Bad members")
	bad["members"] = []any{map[string]any{"display": "no value"}}
	_, err = w.b.CreateGroup(ctx, bad)
	scimError(t, err, http.StatusBadRequest)
}

func TestPatchGroupMembershipShapes(t *testing.T) {
	w := newWorld(t)
	u := w.groupUsers(4)
	a, b, c, d := u[0], u[1], u[2], u[3]
	tests := []struct {
		name string
		ops  []scimdoc.Operation
		want []string
	}{
		{"add (Okta)", []scimdoc.Operation{{Op: "add", Path: "members", Value: []any{map[string]any{"value": c, "display": "member2@example.com"}}}}, sorted(a, b, c)},
		{"add several (Entra)", []scimdoc.Operation{{Op: "add", Path: "members", Value: memberList(c, d)}}, sorted(a, b, c, d)},
		{"add an unknown member is skipped", []scimdoc.Operation{{Op: "add", Path: "members", Value: memberList("no-such-user", c)}}, sorted(a, b, c)},
		{"add a present member", []scimdoc.Operation{{Op: "add", Path: "members", Value: memberList(a)}}, sorted(a, b)},
		{"remove by filter (Okta)", []scimdoc.Operation{{Op: "remove", Path: fmt.Sprintf(`members[value eq "%s"]`, a)}}, sorted(b)},
		{"remove by filter with or", []scimdoc.Operation{{Op: "remove", Path: fmt.Sprintf(`members[value eq "%s" or value eq "%s"]`, a, b)}}, []string{}},
		{"remove with a value array removes only those (Entra)", []scimdoc.Operation{{Op: "remove", Path: "members", Value: memberList(a)}}, sorted(b)},
		{"remove an absent member", []scimdoc.Operation{{Op: "remove", Path: "members", Value: memberList(c)}}, sorted(a, b)},
		{"remove by a filter on display", []scimdoc.Operation{{Op: "remove", Path: `members[display eq "member1@example.com"]`}}, sorted(a)},
		{"remove by filter naming a non-member", []scimdoc.Operation{{Op: "remove", Path: `members[value eq "no-such-user"]`}}, sorted(a, b)},
		{"remove all members", []scimdoc.Operation{{Op: "remove", Path: "members"}}, []string{}},
		{"replace is a full push (Okta)", []scimdoc.Operation{{Op: "replace", Path: "members", Value: memberList(b, c, d)}}, sorted(b, c, d)},
		{"replace with [] empties the group", []scimdoc.Operation{{Op: "replace", Path: "members", Value: []any{}}}, []string{}},
		{"no-path add of members", []scimdoc.Operation{{Op: "add", Value: map[string]any{"members": memberList(d)}}}, sorted(a, b, d)},
		{"core URN path", []scimdoc.Operation{{Op: "add", Path: schemas.GroupURN + ":members", Value: memberList(c)}}, sorted(a, b, c)},
		{"several ops in order", []scimdoc.Operation{
			{Op: "remove", Path: "members"},
			{Op: "add", Path: "members", Value: memberList(c, d)},
			{Op: "remove", Path: fmt.Sprintf(`members[value eq "%s"]`, d)},
		}, sorted(c)},
		{"add then remove the same member", []scimdoc.Operation{
			{Op: "add", Path: "members", Value: memberList(c)},
			{Op: "remove", Path: "members", Value: memberList(c)},
		}, sorted(a, b)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := w.createGroup("Shapes "+tt.name, a, b)
			res, err := w.patchGroup(g.ID, tt.ops...)
			if err != nil {
				t.Fatal(err)
			}
			// RFC 7644 §3.5.2: a PATCH that leaves the members as they were
			// keeps the version.
			want := g.Version + 1
			if cmp.Equal(tt.want, sorted(a, b)) {
				want = g.Version
			}
			if res.Version != want {
				t.Errorf("version %d, want %d", res.Version, want)
			}
			if diff := cmp.Diff(tt.want, memberIDs(t, w, g.ID)); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatchGroupAttributes(t *testing.T) {
	w := newWorld(t)
	u := w.groupUsers(2)
	tests := []struct {
		name string
		op   scimdoc.Operation
	}{
		{"replace without a path, id in the value (Okta)", scimdoc.Operation{Op: "replace", Value: map[string]any{"id": "ignored", "displayName": "Renamed"}}},
		{"replace displayName (Entra)", scimdoc.Operation{Op: "replace", Path: "displayName", Value: "Renamed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := w.createGroup("Before "+tt.name, u...)
			res, err := w.patchGroup(g.ID, tt.op)
			if err != nil {
				t.Fatal(err)
			}
			if res.ID != g.ID || str(res.Doc, "displayName") != "Renamed" {
				t.Errorf("id %s displayName %q", res.ID, str(res.Doc, "displayName"))
			}
			if diff := cmp.Diff(sorted(u...), memberIDs(t, w, g.ID)); diff != "" {
				t.Errorf("a rename changed members (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatchGroupIsAtomic(t *testing.T) {
	w := newWorld(t)
	u := w.groupUsers(3)
	g := w.createGroup("Atomic", u[0], u[1])
	tests := []struct {
		name string
		ops  []scimdoc.Operation
	}{
		{"bad attribute path last", []scimdoc.Operation{
			{Op: "add", Path: "members", Value: memberList(u[2])},
			{Op: "replace", Path: "displayName", Value: "Should not stick"},
			{Op: "remove", Path: fmt.Sprintf(`members[value eq "%s"]`, u[0])},
			{Op: "replace", Path: "noSuchAttribute", Value: "x"},
		}},
		{"removing displayName", []scimdoc.Operation{
			{Op: "remove", Path: "members"},
			{Op: "remove", Path: "displayName"},
		}},
		{"bad member value", []scimdoc.Operation{
			{Op: "remove", Path: "members"},
			{Op: "add", Path: "members", Value: []any{42}},
		}},
		{"add by filter", []scimdoc.Operation{
			{Op: "remove", Path: "members"},
			{Op: "add", Path: `members[value eq "x"]`, Value: "x"},
		}},
		{"remove by a bad filter", []scimdoc.Operation{
			{Op: "remove", Path: "members"},
			{Op: "remove", Path: `members[value eq]`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.patchGroup(g.ID, tt.ops...)
			scimError(t, err, http.StatusBadRequest)
			got, err := w.b.GetGroup(context.Background(), g.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != g.Version || str(got.Doc, "displayName") != "Atomic" {
				t.Errorf("failed PATCH applied: version %d displayName %q", got.Version, str(got.Doc, "displayName"))
			}
			if diff := cmp.Diff(sorted(u[0], u[1]), idsOf(t, got.Doc["members"])); diff != "" {
				t.Errorf("members changed by a failed PATCH (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConcurrentGroupPatchesLoseNoMember(t *testing.T) {
	w := newWorld(t)
	const n = 20
	u := w.groupUsers(n)
	g := w.createGroup("Busy")
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, id := range u {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.patchGroup(g.ID, scimdoc.Operation{Op: "add", Path: "members", Value: memberList(id)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(sorted(u...), memberIDs(t, w, g.ID)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	got, _ := w.b.GetGroup(context.Background(), g.ID, false)
	if got.Version != g.Version+n {
		t.Errorf("version %d, want %d", got.Version, g.Version+n)
	}
}

func TestGetGroupMembersOnlyWhenAsked(t *testing.T) {
	w := newWorld(t)
	u := w.groupUsers(2)
	g := w.createGroup("Team", u...)
	without, err := w.b.GetGroup(context.Background(), g.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := without.Doc["members"]; ok {
		t.Errorf("members loaded though not asked: %v", without.Doc["members"])
	}
	with, err := w.b.GetGroup(context.Background(), g.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sorted(u...), idsOf(t, with.Doc["members"])); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	empty := w.createGroup("Empty")
	got, _ := w.b.GetGroup(context.Background(), empty.ID, true)
	if m, ok := got.Doc["members"].([]any); !ok || len(m) != 0 {
		t.Errorf("empty group's members %#v, want []", got.Doc["members"])
	}
	_, err = w.b.GetGroup(context.Background(), "no-such-group", false)
	scimError(t, err, http.StatusNotFound)
}

func TestUserGroupsAttribute(t *testing.T) {
	w := newWorld(t)
	u := w.groupUsers(2)
	g1 := w.createGroup("One", u[0])
	g2 := w.createGroup("Two", u[0], u[1])

	type ref struct{ Value, Display, Type string }
	groupsOf := func(id string) []ref {
		t.Helper()
		list, _ := w.get(id).Doc["groups"].([]any)
		out := []ref{}
		for _, e := range list {
			m := e.(map[string]any)
			out = append(out, ref{m["value"].(string), m["display"].(string), m["type"].(string)})
		}
		slices.SortFunc(out, func(a, b ref) int {
			if a.Display < b.Display {
				return -1
			}
			return 1
		})
		return out
	}
	if diff := cmp.Diff([]ref{{g1.ID, "One", "direct"}, {g2.ID, "Two", "direct"}}, groupsOf(u[0])); diff != "" {
		t.Errorf("groups of u0 (-want +got):\n%s", diff)
	}
	if _, err := w.patchGroup(g2.ID, scimdoc.Operation{Op: "replace", Path: "displayName", Value: "Zwei"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.patchGroup(g1.ID, scimdoc.Operation{Op: "remove", Path: "members", Value: memberList(u[0])}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]ref{{g2.ID, "Zwei", "direct"}}, groupsOf(u[0])); diff != "" {
		t.Errorf("groups of u0 after rename and removal (-want +got):\n%s", diff)
	}
	if err := w.b.DeleteGroup(context.Background(), g2.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if got := groupsOf(u[1]); len(got) != 0 {
		t.Errorf("groups of u1 after the group was deleted: %v", got)
	}
	// Filters on groups in user lists see the attribute too.
	page := w.list(fmt.Sprintf(`groups[value eq "%s"]`, g1.ID))
	if page.TotalResults != 0 {
		t.Errorf("users in the emptied group: %v", userNames(page))
	}
}

func TestListGroups(t *testing.T) {
	w := newWorld(t)
	u := w.groupUsers(2)
	sales := w.createGroup("Sales Team", u[0])
	ext := groupDoc("Engineering", u[1])
	ext["externalId"] = "grp-eng"
	eng, err := w.b.CreateGroup(context.Background(), ext)
	if err != nil {
		t.Fatal(err)
	}
	empty := w.createGroup("Empty")
	tests := []struct {
		filter string
		want   []string
	}{
		{`displayName eq "sales team"`, []string{sales.ID}},
		{`externalId eq "grp-eng"`, []string{eng.ID}},
		{fmt.Sprintf(`members[value eq "%s"]`, u[0]), []string{sales.ID}},
		{fmt.Sprintf(`members eq "%s"`, u[1]), []string{eng.ID}},
		{fmt.Sprintf(`displayName eq "Engineering" and members[value eq "%s"]`, u[1]), []string{eng.ID}},
		{fmt.Sprintf(`displayName eq "Engineering" and members[value eq "%s"]`, u[0]), []string{}},
		{`displayName sw "E"`, []string{eng.ID, empty.ID}},
		{`id eq "` + sales.ID + `"`, []string{sales.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			page, err := w.b.ListGroups(context.Background(), scimdoc.Query{Filter: parseFilter(t, tt.filter), StartIndex: 1, Count: -1}, false)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range page.Resources {
				got = append(got, r.ID)
				if _, ok := r.Doc["members"]; ok {
					t.Errorf("members returned without being asked")
				}
			}
			if diff := cmp.Diff(sorted(tt.want...), sorted(got...)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	page, err := w.b.ListGroups(context.Background(), scimdoc.Query{SortBy: "displayName", StartIndex: 1, Count: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range page.Resources {
		names = append(names, str(r.Doc, "displayName"))
	}
	if diff := cmp.Diff([]string{"Empty", "Engineering", "Sales Team"}, names); diff != "" {
		t.Errorf("sorted (-want +got):\n%s", diff)
	}
}

func TestReplaceAndDeleteGroup(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	u := w.groupUsers(3)
	g := w.createGroup("Team", u[0], u[1])

	res, err := w.b.ReplaceGroup(ctx, g.ID, groupDoc("Team Renamed", u[1], u[2], "no-such-user"), scimdoc.Precondition{IfMatch: g.ETag()})
	if err != nil {
		t.Fatal(err)
	}
	if str(res.Doc, "displayName") != "Team Renamed" || res.Version != g.Version+1 {
		t.Errorf("displayName %q version %d", str(res.Doc, "displayName"), res.Version)
	}
	if diff := cmp.Diff(sorted(u[1], u[2]), memberIDs(t, w, g.ID)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	_, err = w.b.ReplaceGroup(ctx, g.ID, groupDoc("Stale"), scimdoc.Precondition{IfMatch: g.ETag()})
	scimError(t, err, http.StatusPreconditionFailed)
	_, err = w.b.PatchGroup(ctx, g.ID, scimdoc.Precondition{IfMatch: g.ETag()}, []scimdoc.Operation{{Op: "remove", Path: "members"}})
	scimError(t, err, http.StatusPreconditionFailed)
	_, err = w.b.ReplaceGroup(ctx, "no-such-group", groupDoc("X"), scimdoc.Precondition{})
	scimError(t, err, http.StatusNotFound)
	_, err = w.patchGroup("no-such-group", scimdoc.Operation{Op: "remove", Path: "members"})
	scimError(t, err, http.StatusNotFound)

	scimError(t, w.b.DeleteGroup(ctx, g.ID, scimdoc.Precondition{IfMatch: g.ETag()}), http.StatusPreconditionFailed)
	if err := w.b.DeleteGroup(ctx, g.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	_, err = w.b.GetGroup(ctx, g.ID, false)
	scimError(t, err, http.StatusNotFound)
	scimError(t, w.b.DeleteGroup(ctx, g.ID, scimdoc.Precondition{}), http.StatusNotFound)
	for _, id := range u {
		if _, err := w.b.GetUser(ctx, id); err != nil {
			t.Errorf("deleting the group removed user %s: %v", id, err)
		}
	}
}

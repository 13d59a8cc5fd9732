package fakeabsorb

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

func TestListEnvelopeAndPageIndex(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(AuditorUsername)
	all := seedUsernames()
	tests := []struct {
		name      string
		query     string
		wantLimit float64
		wantPage  float64
		want      []string
	}{
		{"defaults", "", 20, 0, all},
		{"first page", "?_limit=3&_offset=0", 3, 0, all[0:3]},
		{"offset is a page index", "?_limit=3&_offset=1", 3, 1, all[3:6]},
		{"last partial page", "?_limit=3&_offset=2", 3, 2, all[6:7]},
		{"past the end", "?_limit=3&_offset=3", 3, 3, []string{}},
		{"deprecated limit and offset", "?limit=2&offset=1", 2, 1, all[2:4]},
		{"max limit", "?_limit=1000", 1000, 0, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.send("GET", "/users"+tt.query, tok, nil).want(t, 200)
			env := res.object(t)
			if got := env["totalItems"]; got != float64(len(all)) {
				t.Errorf("totalItems = %v, want %d", got, len(all))
			}
			if got := env["returnedItems"]; got != float64(len(tt.want)) {
				t.Errorf("returnedItems = %v, want %d", got, len(tt.want))
			}
			if env["limit"] != tt.wantLimit || env["offset"] != tt.wantPage {
				t.Errorf("limit, offset = %v, %v, want %v, %v", env["limit"], env["offset"], tt.wantLimit, tt.wantPage)
			}
			if diff := cmp.Diff(tt.want, column(res.items(t, "users"), "username")); diff != "" {
				t.Errorf("usernames (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListBadPaging(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(AuditorUsername)
	tests := []struct {
		query   string
		message string
		valid   string
	}{
		{"_limit=1001", "", "The field _limit must be between 1 and 1000."},
		{"_limit=0", "", "The field _limit must be between 1 and 1000."},
		{"_limit=ten", "Invalid format provided for _limit", ""},
		{"_offset=-1", "", "The field _offset must be between 0 and 65535."},
		{"_offset=65536", "", "The field _offset must be between 0 and 65535."},
		{"_offset=x", "Invalid format provided for _offset", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			for _, path := range []string{"/users", "/departments", "/courses", "/groups", "/users/" + UserAliceID + "/enrollments"} {
				res := f.send("GET", path+"?"+tt.query, tok, nil).want(t, 422)
				if tt.valid != "" {
					if diff := cmp.Diff([]string{tt.valid}, res.validations(t)); diff != "" {
						t.Errorf("%s validations (-want +got):\n%s", path, diff)
					}
					continue
				}
				if got := res.message(t); got != tt.message {
					t.Errorf("%s message = %q, want %q", path, got, tt.message)
				}
			}
		})
	}
}

func TestListSort(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(AuditorUsername)
	learners := "&_filter=" + url.QueryEscape("isAdmin eq false")
	tests := []struct {
		name string
		sort string
		want []string
	}{
		{"ascending", "lastName", []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"}},
		{"descending", "-lastName", []string{"dave@example.com", "carol@example.com", "bob@example.com", "alice@example.com"}},
		{"field name any case", "-LASTNAME", []string{"dave@example.com", "carol@example.com", "bob@example.com", "alice@example.com"}},
		{"two keys", "departmentId,-firstName", []string{"dave@example.com", "alice@example.com", "bob@example.com", "carol@example.com"}},
		{"nested custom field, nulls first", "-customFields/string1,username", []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"}},
		{"nested ascending", "customFields/string1,-username", []string{"dave@example.com", "carol@example.com", "bob@example.com", "alice@example.com"}},
		{"number", "-activeStatus,username", []string{"dave@example.com", "alice@example.com", "bob@example.com", "carol@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.send("GET", "/users?_sort="+url.QueryEscape(tt.sort)+learners, tok, nil).want(t, 200)
			if diff := cmp.Diff(tt.want, column(res.items(t, "users"), "username")); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("unknown field", func(t *testing.T) {
		f.send("GET", "/users?_sort=shoeSize", tok, nil).want(t, 400)
	})
	t.Run("list field", func(t *testing.T) {
		f.send("GET", "/users?_sort=roleIds", tok, nil).want(t, 400)
	})
	t.Run("departments by name", func(t *testing.T) {
		res := f.send("GET", "/departments?_sort=-name", tok, nil).want(t, 200)
		want := []string{"Support", "Sales", "Research", "Engineering", "Company"}
		if diff := cmp.Diff(want, column(res.items(t, "departments"), "name")); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
	})
}

func TestUsersDeprecatedParameters(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(AuditorUsername)
	tests := []struct {
		query string
		want  []string
	}{
		{"username=ALICE@example.com", []string{"alice@example.com"}},
		{"externalId=emp-1003", []string{"carol@example.com"}},
		{"email=bob@example.com", []string{"bob@example.com"}},
		{"modifiedSince=2024-01-15T09:14:00Z", []string{"carol@example.com", "dave@example.com"}},
		{"username=alice@example.com&externalId=emp-1002", []string{}},
		{"UserName=dave@example.com", []string{"dave@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := f.send("GET", "/users?"+tt.query, tok, nil).want(t, 200)
			if diff := cmp.Diff(tt.want, column(res.items(t, "users"), "username")); diff != "" {
				t.Errorf("usernames (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("bad modifiedSince", func(t *testing.T) {
		res := f.send("GET", "/users?modifiedSince=yesterday", tok, nil).want(t, 422)
		if got, want := res.message(t), "Invalid format provided for modifiedSince"; got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	})
}

// TestSortValueOrder: sortValue orders as compareSort does.
func TestSortValueOrder(t *testing.T) {
	var vals []any
	for _, s := range lowerStrings {
		vals = append(vals, s)
	}
	vals = append(vals, nil)
	at := time.Date(2025, 6, 2, 8, 30, 15, 0, time.UTC)
	others := [][]any{
		{nil, at, at.Add(time.Second), at.Add(-time.Second), time.Time{}},
		{nil, 0.0, -1.0, 1.5, 1e21},
		{nil, true, false},
	}
	for _, vs := range append(others, vals) {
		for _, a := range vs {
			for _, b := range vs {
				if got, want := sortValueOf(kindString, a).compare(sortValueOf(kindString, b)), compareSort(a, b); got != want {
					t.Errorf("compare(%#v, %#v) = %d, want %d", a, b, got, want)
				}
			}
		}
	}
}

// TestApplySortIsStable: apply orders records as a stable sort with
// compareSort does, ties left in the order they came in.
func TestApplySortIsStable(t *testing.T) {
	fields := newFieldSet(field{"id", kindGUID}, field{"name", kindString}, field{"n", kindNumber}, field{"on", kindBool})
	names := []any{nil, "alice", "Alice", "ALICE", "bob", "Émile", "émile", "zed"}
	var recs []record
	for i := range 600 {
		d := docRecord{"id": fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), "name": names[i*7%len(names)], "on": i%5 == 0}
		if i%4 != 0 {
			d["n"] = float64(i % 3)
		}
		recs = append(recs, d)
	}
	for _, sort := range []string{"name", "-name", "n,-name", "-on,n", "on,-n,name", "name,id"} {
		t.Run(sort, func(t *testing.T) {
			lq, bad := parseListQuery(query{"_sort": {sort}, "_limit": {"1000"}}, fields)
			if bad != nil {
				t.Fatalf("parseListQuery: %v", bad.body)
			}
			want := slices.Clone(recs)
			slices.SortStableFunc(want, func(a, b record) int {
				for _, k := range lq.sort {
					c := compareSort(fieldValue(k.ref, a), fieldValue(k.ref, b))
					if k.desc {
						c = -c
					}
					if c != 0 {
						return c
					}
				}
				return 0
			})
			got, total := lq.apply(slices.Clone(recs), nil)
			if total != len(recs) {
				t.Fatalf("total = %d, want %d", total, len(recs))
			}
			if diff := cmp.Diff(column(docs(want), "id"), column(docs(got), "id")); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			// The records out of order, with their default order as the tie.
			shuffled := slices.Clone(recs)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			tie := func(i, j int) int {
				return strings.Compare(shuffled[i].get("id").(string), shuffled[j].get("id").(string))
			}
			got, _ = lq.apply(shuffled, tie)
			if diff := cmp.Diff(column(docs(want), "id"), column(docs(got), "id")); diff != "" {
				t.Errorf("order with tie (-want +got):\n%s", diff)
			}
		})
	}
}

func docs(recs []record) []map[string]any {
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		out[i] = r.(docRecord)
	}
	return out
}

// TestToLowerIdempotent: lowering a lowered string changes nothing, which
// stringSortValue relies on for GUIDs.
func TestToLowerIdempotent(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if l := unicode.ToLower(r); unicode.ToLower(l) != l {
			t.Errorf("ToLower(%U) = %U, which lowers to %U", r, l, unicode.ToLower(l))
		}
	}
	for _, s := range lowerStrings {
		if l := strings.ToLower(s); strings.ToLower(l) != l {
			t.Errorf("ToLower(%q) = %q, which lowers to %q", s, l, strings.ToLower(l))
		}
	}
}

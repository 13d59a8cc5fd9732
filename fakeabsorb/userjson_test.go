package fakeabsorb

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// checkUserJSON checks that u.appendJSON writes what json.Marshal(u.doc())
// writes, or fails as it fails, and leaves the bytes before it alone.
func checkUserJSON(t *testing.T, u *User) {
	t.Helper()
	want, wantErr := json.Marshal(u.doc())
	prefix := []byte("prefix")
	got, err := u.appendJSON(prefix)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("appendJSON error = %v, json.Marshal error = %v", err, wantErr)
	}
	if !bytes.HasPrefix(got, []byte("prefix")) {
		t.Fatalf("appendJSON changed the bytes before it: %q", got)
	}
	if wantErr != nil {
		if len(got) != len(prefix) {
			t.Fatalf("appendJSON failed but appended %q", got[len(prefix):])
		}
		return
	}
	if got := got[len(prefix):]; !bytes.Equal(got, want) {
		t.Fatalf("appendJSON:\n got %s\nwant %s", got, want)
	}
	if m, err := u.MarshalJSON(); err != nil || !bytes.Equal(m, want) {
		t.Fatalf("MarshalJSON = %s, %v; want %s", m, err, want)
	}
}

// allASCII is every byte below 0x80.
func allASCII() string {
	var b strings.Builder
	for c := range 0x80 {
		b.WriteByte(byte(c))
	}
	return b.String()
}

func TestUserAppendJSON(t *testing.T) {
	awkward := []string{
		allASCII(),
		"<script>&amp;</script>",
		"line\u2028para\u2029end",
		"\ufffd is not \xff",
		"cut \xe2\x80", "\xc3", "\xed\xa0\x80 surrogate", "\xc0\xaf overlong", "\xf4\x90\x80\x80 past U+10FFFF",
		"Zoë 日本 😀 \U0010FFFF",
		`"quoted" \back\slash/`,
	}
	tests := []struct {
		name string
		u    User
	}{
		{"zero", User{}},
		{"every field set", fullUser()},
		{"seeded learner", User{ID: UserAliceID, Username: "alice@example.com", FirstName: "Alice", LastName: "Anderson",
			DepartmentID: DeptEngineeringID, CustomFields: map[string]any{"string1": "blue"}, IsLearner: true, HasUsername: true,
			DateAdded: time.Date(2024, 1, 15, 9, 12, 0, 0, time.UTC), DateEdited: time.Date(2024, 1, 15, 9, 12, 0, 0, time.UTC)}},
		{"empty lists and custom fields", User{CCEmailAddresses: []string{}, RoleIDs: []string{}, CustomFields: map[string]any{}}},
		{"lists", User{CCEmailAddresses: []string{"", "a@b", "<x>"}, RoleIDs: awkward}},
		{"extreme ints", User{ActiveStatus: math.MinInt, LanguageID: intp(math.MaxInt), Gender: intp(-1)}},
		{"zero ints", User{LanguageID: intp(0), Gender: intp(0)}},
		{"times", User{
			DateAdded:      time.Date(2025, 6, 2, 8, 30, 15, 999_999_999, time.FixedZone("X", -7*3600-1800)),
			DateEdited:     time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
			LastLoginDate:  time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
			DateHired:      time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), // one nanosecond after the zero time
			DateTerminated: time.Unix(0, 0),
		}},
		{"floats", User{CustomFields: map[string]any{
			"a": 0.0, "b": math.Copysign(0, -1), "c": 1e21, "d": 1e20, "e": 999999999999999999999.0, "f": 1e-6, "g": 9.99e-7,
			"h": 1e-7, "i": 5e-324, "j": math.MaxFloat64, "k": -1e-10, "l": 1.5e-9, "m": 1e-100, "n": 123456789.123,
			"o": -1e21, "p": 0.1, "q": 1 / 3.0, "r": 1e300,
		}}},
		{"other custom values", User{CustomFields: map[string]any{
			"int": 5, "number": json.Number("1.50"), "nested": map[string]any{"z": nil, "a": []any{1.0, "<", nil}},
			"nilPointer": (*int)(nil), "nil": nil, "true": true, "false": false, "bytes": []byte("hi"),
		}}},
		{"custom keys", User{CustomFields: map[string]any{
			"<k>": "v", "\xff": "bad key", "": "empty", "Z": 1.0, "a": 2.0, "é": 3.0, "\u2028": 4.0,
			"k1": 1.0, "k2": 1.0, "k3": 1.0, "k4": 1.0, "k5": 1.0, "k6": 1.0, "k7": 1.0, "k8": 1.0, "k9": 1.0,
		}}},
		{"NaN", User{CustomFields: map[string]any{"decimal1": math.NaN()}}},
		{"infinity", User{CustomFields: map[string]any{"decimal1": math.Inf(-1)}}},
		{"a value with no JSON form", User{CustomFields: map[string]any{"c": make(chan int)}}},
	}
	for i, s := range awkward {
		u := fullUser()
		u.ID, u.FirstName, u.Notes, u.Username = s, s, s, s
		u.CustomFields = map[string]any{"string1": s, s: s}
		tests = append(tests, struct {
			name string
			u    User
		}{"awkward string " + string(rune('a'+i)), u})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkUserJSON(t, &tt.u) })
	}
}

func FuzzUserAppendJSON(f *testing.F) {
	f.Add("alice@example.com", "Zoë", "<b>&</b>", "string1", 1.25, int64(0), int64(1736931600), int64(0), 2, true)
	f.Add("\xff\u2028", "\x00\x1f\"\\", "", "", math.Copysign(0, -1), int64(-1), int64(-62135596800), int64(999999999), -1, false)
	f.Add("", "", "a\u2029b", "<", 1e21, int64(math.MaxInt64), int64(253402300800), int64(1), 0, true)
	f.Add("x", "y", "z", "decimal1", 1e-7, int64(math.MinInt64), int64(0), int64(-1), 300, false)
	f.Fuzz(func(t *testing.T, s1, s2, s3, key string, num float64, n int64, sec, nsec int64, small int, flag bool) {
		tm := time.Unix(sec, nsec)
		u := User{
			ID: s1, DepartmentID: s2, FirstName: s3, MiddleName: key, LastName: s1 + s2, Username: s2 + s3,
			EmailAddress: s3, ExternalID: s1, Notes: s1 + s3 + s2,
			ActiveStatus: int(n), IsLearner: flag, IsAdmin: !flag, IsInstructor: flag, HasUsername: small%2 == 0,
			DateAdded: tm, DateEdited: tm.Add(time.Duration(n)),
		}
		if flag {
			u.LanguageID, u.Gender = &small, intp(int(n))
			u.CCEmailAddresses, u.RoleIDs = []string{s1, s2}, []string{}
			u.DateHired, u.LastLoginDate = time.Unix(sec/2, 0), time.Unix(-sec, nsec)
		}
		switch small & 3 {
		case 0:
			u.CustomFields = map[string]any{key: num, s1: s2, s3: flag}
		case 1:
			u.CustomFields = map[string]any{key: nil, "decimal1": num, "string1": s3}
		case 2:
			u.CustomFields = map[string]any{}
		}
		checkUserJSON(t, &u)
	})
}

// TestUserAnswersAppendJSON checks the other answers of the user paths
// against json.Marshal of what they stand for.
func TestUserAnswersAppendJSON(t *testing.T) {
	check := func(t *testing.T, a jsonAppender, doc any) {
		t.Helper()
		want, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.appendJSON(nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("appendJSON = %s, %v\n      want %s", got, err, want)
		}
		if got := (reply{status: 200, body: a}).encode(); !bytes.Equal(got, want) {
			t.Fatalf("encode = %s\n  want %s", got, want)
		}
	}
	awkward := "<\u2028\xff\"é>"
	t.Run("created", func(t *testing.T) {
		check(t, createdUser{id: UserAliceID, username: "alice@example.com"}, map[string]string{"id": UserAliceID, "username": "alice@example.com"})
		check(t, createdUser{id: awkward, username: awkward}, map[string]string{"id": awkward, "username": awkward})
	})
	t.Run("upload", func(t *testing.T) {
		for _, kvs := range []keyValues{{}, {{Key: UserAliceID, Value: "alice"}}, {{Key: awkward, Value: ""}, {Key: "", Value: awkward}}} {
			check(t, kvs, []keyValue(kvs))
		}
	})
	t.Run("page", func(t *testing.T) {
		u1, u2 := fullUser(), User{ID: "b", Username: awkward, CustomFields: map[string]any{"decimal1": 1e-7}}
		var accounts []packedUser
		var docs []map[string]any
		for _, u := range []*User{&u1, &u2} {
			p, err := packUser(u)
			if err != nil {
				t.Fatal(err)
			}
			accounts = append(accounts, p)
			docs = append(docs, p.mustUnpack().doc())
		}
		for _, tc := range []struct {
			lq       listQuery
			total, n int
		}{{listQuery{limit: 20}, 2, 2}, {listQuery{limit: 1, page: 1}, 2, 1}, {listQuery{limit: 5, page: 3}, 2, 0}} {
			page := userPage{limit: tc.lq.limit, offset: tc.lq.page, total: tc.total, users: accounts[:tc.n]}
			check(t, page, tc.lq.envelope("users", tc.total, docs[:tc.n:tc.n]))
		}
		check(t, userPage{limit: 20}, listQuery{limit: 20}.envelope("users", 0, nil))
	})
	t.Run("failure", func(t *testing.T) {
		u := User{CustomFields: map[string]any{"decimal1": math.NaN()}}
		got := reply{status: 200, body: &u}.encode()
		if want := `{"message":"Internal Server Error"}`; string(got) != want {
			t.Fatalf("encode = %s, want %s", got, want)
		}
	})
}

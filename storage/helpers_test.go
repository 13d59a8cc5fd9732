package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openTest opens a new store in a fresh temporary directory and closes it
// when the test ends.
func openTest(tb testing.TB) *Bolt {
	tb.Helper()
	s, err := Open(filepath.Join(tb.TempDir(), "bridge.db"), Options{NoSync: true})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func update(tb testing.TB, s *Bolt, fn func(*boltTx) error) {
	tb.Helper()
	if err := s.update(fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

func view(tb testing.TB, s *Bolt, fn func(*boltTx) error) {
	tb.Helper()
	if err := s.view(fn); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

// checkStore fails the test when Check finds a problem.
func checkStore(tb testing.TB, s *Bolt) {
	tb.Helper()
	if err := s.Check(); err != nil {
		tb.Fatalf("Check: %v", err)
	}
}

func putUsers(tb testing.TB, s *Bolt, users ...User) {
	tb.Helper()
	update(tb, s, func(tx *boltTx) error {
		for _, u := range users {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	})
}

func putGroups(tb testing.TB, s *Bolt, groups ...Group) {
	tb.Helper()
	update(tb, s, func(tx *boltTx) error {
		for _, g := range groups {
			if err := tx.PutGroup(g); err != nil {
				return err
			}
		}
		return nil
	})
}

var t0 = time.Date(2025, 3, 1, 8, 9, 10, 123456789, time.UTC)

// testUser is a user with a resource large enough to be deflated.
func testUser(id, userName string, emails ...string) User {
	return User{
		ID:           id,
		AbsorbID:     "absorb-" + id,
		UserName:     userName,
		ExternalID:   "ext-" + id,
		Emails:       emails,
		Active:       true,
		Resource:     scimResource(id, userName, "ext-"+id),
		Created:      t0,
		LastModified: t0.Add(time.Hour),
		Version:      1,
	}
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// fakeUUID returns a random-looking UUIDv4 string drawn from r.
func fakeUUID(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

var firstNames = []string{"Jennifer", "Michael", "Aisha", "Carlos", "Mei", "Olusegun", "Anna", "Dmitri", "Priya", "Liam"}
var lastNames = []string{"O'Connor-Smith", "Nguyen", "García", "Kowalski", "Okafor", "Johansson", "Patel", "Müller", "Tanaka", "Brown"}

// scimResource is a realistic SCIM user as an IdP sends it (about 1 KB).
func scimResource(id, userName, externalID string) json.RawMessage {
	first, last := firstNames[len(id)%len(firstNames)], lastNames[len(userName)%len(lastNames)]
	n := id + "00000000-0000" // ids of tests may be short
	doc := map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"id":         id,
		"externalId": externalID,
		"userName":   userName,
		"name": map[string]any{
			"givenName": first, "familyName": last, "formatted": first + " " + last,
		},
		"displayName":  first + " " + last,
		"title":        "Senior Software Engineer",
		"active":       true,
		"emails":       []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"phoneNumbers": []any{map[string]any{"value": "+1 555 010 " + n[:4], "type": "work"}},
		"addresses": []any{map[string]any{"streetAddress": "100 Main St", "locality": "Springfield",
			"region": "IL", "postalCode": "62701", "country": "US", "type": "work", "primary": true}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
			"employeeNumber": "E-" + n[:8], "department": "Engineering", "costCenter": "CC-" + n[9:13],
			"manager": map[string]any{"value": n[:8] + "-0000-4000-8000-000000000000"},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}

// absorbRaw is a realistic Absorb user as the Integration API returns it
// (about 1.2 KB).
func absorbRaw(id, username, externalID string) json.RawMessage {
	doc := map[string]any{
		"id": id, "departmentId": "9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4", "firstName": "Jennifer", "middleName": nil,
		"lastName": "O'Connor-Smith", "username": username, "emailAddress": username, "ccEmailAddresses": []string{},
		"languageId": 1, "gender": 0, "address": "100 Main St", "address2": nil, "city": "Springfield",
		"provinceId": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", "countryId": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
		"postalCode": "62701", "phone": "+1 555 010 0199", "employeeNumber": "E-" + (id + "00000000")[:8], "location": nil,
		"jobTitle": "Senior Software Engineer", "referenceNumber": nil, "dateHired": nil, "dateTerminated": nil,
		"notes": nil, "customFields": map[string]any{"string1": nil, "string2": nil, "string3": nil, "string4": nil,
			"string5": nil, "decimal1": nil, "decimal2": nil, "date1": nil, "date2": nil, "bool1": nil, "bool2": nil},
		"roleIds": []string{}, "activeStatus": 0, "isLearner": true, "isAdmin": false, "isInstructor": false,
		"isManager": false, "supervisorId": nil, "hasUsername": true, "externalId": externalID,
		"dateAdded": "2024-01-15T10:20:30.123", "dateEdited": "2025-03-01T08:09:10.456", "lastLoginDate": "2025-02-28T17:00:00",
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}

// wantCorrupt checks that s.Check reports ErrCorrupt with a message that
// mentions want.
func wantCorrupt(t *testing.T, s *Bolt, want string) {
	t.Helper()
	err := s.Check()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Check = %v, want ErrCorrupt", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Check = %q, want it to mention %q", err, want)
	}
}

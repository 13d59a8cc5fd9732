package scimdoc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAttribute(t *testing.T) {
	rs := userSchema()
	tests := []struct {
		path string
		want AttrInfo
	}{
		{"userName", AttrInfo{URN: userURN, Name: "userName", Type: "string", Returned: "default", Mutability: "readWrite"}},
		{"USERNAME", AttrInfo{URN: userURN, Name: "userName", Type: "string", Returned: "default", Mutability: "readWrite"}},
		{userURN + ":userName", AttrInfo{URN: userURN, Name: "userName", Type: "string", Returned: "default", Mutability: "readWrite"}},
		{"name.givenName", AttrInfo{URN: userURN, Name: "name", Sub: "givenName", Type: "string", Returned: "default", Mutability: "readWrite"}},
		{"Name.GivenName", AttrInfo{URN: userURN, Name: "name", Sub: "givenName", Type: "string", Returned: "default", Mutability: "readWrite"}},
		{"emails", AttrInfo{URN: userURN, Name: "emails", Type: "complex", MultiValued: true, Returned: "default", Mutability: "readWrite"}},
		{"emails.value", AttrInfo{URN: userURN, Name: "emails", Sub: "value", Type: "string", MultiValued: true, Returned: "default", Mutability: "readWrite"}},
		{"emails.primary", AttrInfo{URN: userURN, Name: "emails", Sub: "primary", Type: "boolean", MultiValued: true, Returned: "default", Mutability: "readWrite"}},
		{"active", AttrInfo{URN: userURN, Name: "active", Type: "boolean", Returned: "default", Mutability: "readWrite"}},
		{"password", AttrInfo{URN: userURN, Name: "password", Type: "string", Returned: "never", Mutability: "writeOnly"}},
		{"groups.value", AttrInfo{URN: userURN, Name: "groups", Sub: "value", Type: "string", MultiValued: true, Returned: "default", Mutability: "readOnly"}},
		{"id", AttrInfo{URN: userURN, Name: "id", Type: "string", CaseExact: true, Returned: "always", Mutability: "readOnly"}},
		{"externalId", AttrInfo{URN: userURN, Name: "externalId", Type: "string", CaseExact: true, Returned: "default", Mutability: "readWrite"}},
		{"meta.created", AttrInfo{URN: userURN, Name: "meta", Sub: "created", Type: "dateTime", Returned: "default", Mutability: "readOnly"}},
		{"meta.lastModified", AttrInfo{URN: userURN, Name: "meta", Sub: "lastModified", Type: "dateTime", Returned: "default", Mutability: "readOnly"}},
		{enterpriseURN + ":employeeNumber", AttrInfo{URN: enterpriseURN, Name: "employeeNumber", Type: "string", Returned: "default", Mutability: "readWrite"}},
		{"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER", AttrInfo{URN: enterpriseURN, Name: "employeeNumber", Type: "string", Returned: "default", Mutability: "readWrite"}},
		{enterpriseURN + ":manager.value", AttrInfo{URN: enterpriseURN, Name: "manager", Sub: "value", Type: "string", Returned: "default", Mutability: "readWrite"}},
		{enterpriseURN + ":manager.displayName", AttrInfo{URN: enterpriseURN, Name: "manager", Sub: "displayName", Type: "string", Returned: "default", Mutability: "readOnly"}},
		// Names only an extension defines also resolve unqualified.
		{"manager", AttrInfo{URN: enterpriseURN, Name: "manager", Type: "complex", Returned: "default", Mutability: "readWrite"}},
		{"department", AttrInfo{URN: enterpriseURN, Name: "department", Type: "string", Returned: "default", Mutability: "readWrite"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := rs.Attribute(tt.path)
			if !ok {
				t.Fatalf("Attribute(%q) not found", tt.path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Attribute(%q) mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestAttributeUnknown(t *testing.T) {
	rs := userSchema()
	for _, path := range []string{"", "nope", "name.nope", "emails.value.x", "urn:x:y:userName", enterpriseURN, "emails[type eq \"work\"]", groupURN + ":displayName", "members"} {
		t.Run(path, func(t *testing.T) {
			if got, ok := rs.Attribute(path); ok {
				t.Errorf("Attribute(%q) = %+v, want not found", path, got)
			}
		})
	}
}

func TestResourceSchemaURNs(t *testing.T) {
	rs := userSchema()
	if got := rs.CoreURN(); got != userURN {
		t.Errorf("CoreURN() = %q, want %q", got, userURN)
	}
	if diff := cmp.Diff([]string{enterpriseURN}, rs.ExtensionURNs()); diff != "" {
		t.Errorf("ExtensionURNs() mismatch (-want +got):\n%s", diff)
	}
	if got := groupSchema().ExtensionURNs(); len(got) != 0 {
		t.Errorf("group ExtensionURNs() = %v, want none", got)
	}
}

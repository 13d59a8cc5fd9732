package schemas

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSchemaDocumentsHaveNoNulls(t *testing.T) {
	for _, s := range All() {
		t.Run(s.ID, func(t *testing.T) {
			b, err := json.Marshal(SchemaDocument(s, "https://scim.example.com/scim/v2/"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "null") {
				t.Errorf("schema %s has a null value: %s", s.ID, b)
			}
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			meta := doc["meta"].(map[string]any)
			if got, want := meta["location"], "https://scim.example.com/scim/v2/Schemas/"+s.ID; got != want {
				t.Errorf("location = %v, want %v", got, want)
			}
		})
	}
}

func TestAbsorbExtensionOutsideIETFNamespace(t *testing.T) {
	if strings.HasPrefix(AbsorbUserURN, "urn:ietf:") {
		t.Fatalf("extension URN %s squats on urn:ietf", AbsorbUserURN)
	}
	attrs := map[string]bool{}
	for _, a := range AbsorbUser().Attributes {
		attrs[a.Name()] = true
	}
	for _, want := range []string{"departmentId", "location", "dateHired", "dateTerminated", "customFields"} {
		if !attrs[want] {
			t.Errorf("Absorb extension lacks %s", want)
		}
	}
}

func TestServiceProviderConfigReportsCapabilities(t *testing.T) {
	doc := ServiceProviderConfig(Capabilities{
		FilterMaxResults: 200, BulkSupported: true, BulkMaxOperations: 1000, BulkMaxPayloadSize: 1 << 20,
		Sort: true, ETag: true, Patch: true,
		Authentication: []AuthenticationScheme{{Type: "oauthbearertoken", Name: "Bearer", Description: "Bearer token"}},
	}, "http://x/scim/v2")
	b, _ := json.Marshal(doc)
	for _, want := range []string{`"maxResults":200`, `"etag":{"supported":true}`, `"maxOperations":1000`, `"type":"oauthbearertoken"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("SPC %s lacks %s", b, want)
		}
	}
	if strings.Contains(string(b), `""`) {
		t.Errorf("SPC has an empty string: %s", b)
	}
}

package scim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/schemas"
)

func TestServiceProviderConfig(t *testing.T) {
	auth := []schemas.AuthenticationScheme{{Type: "oauthbearertoken", Name: "OAuth Bearer Token", Description: "Bearer token", Primary: true}}
	e := newEnv(t, func(o *Options) { o.MaxResults = 200; o.AuthSchemes = auth })
	for _, path := range []string{"/ServiceProviderConfig", "/serviceConfiguration"} {
		t.Run(path, func(t *testing.T) {
			m := expect(t, e.do(t, http.MethodGet, path, ""), http.StatusOK)
			want := map[string]any{
				"schemas":        []any{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
				"patch":          map[string]any{"supported": true},
				"bulk":           map[string]any{"supported": false, "maxOperations": 0.0, "maxPayloadSize": 0.0},
				"filter":         map[string]any{"supported": true, "maxResults": 200.0},
				"changePassword": map[string]any{"supported": false},
				"sort":           map[string]any{"supported": true},
				"etag":           map[string]any{"supported": true},
				"authenticationSchemes": []any{map[string]any{
					"type": "oauthbearertoken", "name": "OAuth Bearer Token", "description": "Bearer token", "primary": true,
				}},
				"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": testBase + "/ServiceProviderConfig"},
			}
			if diff := cmp.Diff(want, m); diff != "" {
				t.Errorf("SPC (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemas(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, http.MethodGet, "/Schemas", "")
	m := expect(t, r, http.StatusOK)
	if strings.Contains(string(r.body), "null") {
		t.Errorf("/Schemas has a null value")
	}
	res := m["Resources"].([]any)
	var ids []string
	for _, s := range res {
		ids = append(ids, s.(map[string]any)["id"].(string))
	}
	want := []string{schemas.UserURN, schemas.EnterpriseUserURN, schemas.AbsorbUserURN, schemas.GroupURN}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("schema ids (-want +got):\n%s", diff)
	}
	if m["totalResults"] != 4.0 || m["itemsPerPage"] != 4.0 || m["startIndex"] != 1.0 {
		t.Errorf("list counts: %v %v %v", m["totalResults"], m["itemsPerPage"], m["startIndex"])
	}
	for _, id := range want {
		t.Run(id, func(t *testing.T) {
			m := expect(t, e.do(t, http.MethodGet, "/Schemas/"+id, ""), http.StatusOK)
			if m["id"] != id {
				t.Errorf("id = %v", m["id"])
			}
			if got := m["meta"].(map[string]any)["location"]; got != testBase+"/Schemas/"+id {
				t.Errorf("location = %v", got)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		expectError(t, e.do(t, http.MethodGet, "/Schemas/urn:nope", ""), http.StatusNotFound, "")
	})
}

func TestResourceTypes(t *testing.T) {
	e := newEnv(t)
	m := expect(t, e.do(t, http.MethodGet, "/ResourceTypes", ""), http.StatusOK)
	if m["totalResults"] != 2.0 || len(m["Resources"].([]any)) != 2 {
		t.Errorf("resource types: %v", m)
	}
	tests := []struct{ id, endpoint, schema string }{
		{"User", "/Users", schemas.UserURN},
		{"Group", "/Groups", schemas.GroupURN},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			m := expect(t, e.do(t, http.MethodGet, "/ResourceTypes/"+tt.id, ""), http.StatusOK)
			if m["endpoint"] != tt.endpoint || m["schema"] != tt.schema {
				t.Errorf("resource type = %v", m)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		expectError(t, e.do(t, http.MethodGet, "/ResourceTypes/Widget", ""), http.StatusNotFound, "")
	})
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxBodyBytes = 256 })
	big := `{"userName":"big@example.com","displayName":"` + strings.Repeat("x", 300) + `"}`
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/Users"},
		{http.MethodPut, "/Users/u1"},
		{http.MethodPatch, "/Groups/g1"},
		{http.MethodPost, "/Groups/.search"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			detail := expectError(t, e.do(t, tc.method, tc.path, big), http.StatusRequestEntityTooLarge, "")
			if !strings.Contains(detail, "256") {
				t.Errorf("detail %q does not give the limit", detail)
			}
		})
	}
	t.Run("default is one MiB", func(t *testing.T) {
		e := newEnv(t)
		body := `{"userName":"mib@example.com","displayName":"` + strings.Repeat("x", 1<<20) + `"}`
		detail := expectError(t, e.do(t, http.MethodPost, "/Users", body), http.StatusRequestEntityTooLarge, "")
		if !strings.Contains(detail, "1048576") {
			t.Errorf("detail = %q", detail)
		}
	})
}

package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Over real HTTP: values beyond the documented limits are 400 invalidValue
// naming the attribute and the limit, and Absorb is never called for them;
// a credential with strictPatch refuses a replace whose filter matches
// nothing, while the default keeps adding the value (Entra relies on it).
func TestServeLimitsAndStrictPatch(t *testing.T) {
	fake := startFake(t)
	cfg := baseConfig(t, fake)
	const strictToken = "strict-e2e-token-9dK2mQx7Lp4Z"
	cfg["auth"].(map[string]any)["tokens"] = []any{
		map[string]any{"name": "okta", "value": oktaToken},
		map[string]any{"name": "strict", "value": strictToken, "strictPatch": true},
	}
	s := startServe(t, cfg)
	s.waitReady(t)
	okta, strict := authBearer(oktaToken), authBearer(strictToken)
	long := strings.Repeat("x", 40<<10)

	fake.srv.ResetStats()
	for _, tt := range []struct{ name, path, body, attr string }{
		{"externalId of 40 KB", "/scim/v2/Users", e2eUser(t, "long-ext@example.com", map[string]any{"externalId": long}), `"externalId"`},
		{"email of 40 KB", "/scim/v2/Users", e2eUser(t, "long-mail@example.com", map[string]any{"emails": []any{map[string]any{"value": long}}}), `"emails.value"`},
		{"userName of 40 KB", "/scim/v2/Users", e2eUser(t, long, nil), `"userName"`},
		{"group displayName of 40 KB", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"` + long + `"}`, `"displayName"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.do(t, e2eRequest{method: http.MethodPost, path: tt.path, authz: okta, body: tt.body})
			scimType, detail := decodeSCIMError(t, resp, body, http.StatusBadRequest)
			if scimType != "invalidValue" || !strings.Contains(detail, tt.attr) || !strings.Contains(detail, "limit of") {
				t.Fatalf("scimType %q, detail %q: want invalidValue naming %s and its limit", scimType, detail, tt.attr)
			}
		})
	}
	if n := sumRequests(fake.srv.Stats().Requests); n != 0 {
		t.Fatalf("Absorb was called %d times for requests beyond the limits: %v", n, fake.srv.Stats().Requests)
	}

	resp, body := s.do(t, e2eRequest{method: http.MethodPost, path: "/scim/v2/Users", authz: okta, body: e2eUser(t, "patchy@example.com", nil)})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var user map[string]any
	if err := json.Unmarshal(body, &user); err != nil {
		t.Fatal(err)
	}
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"home\"].value","value":"home@example.com"}]}`
	path := "/scim/v2/Users/" + user["id"].(string)
	resp, body = s.do(t, e2eRequest{method: http.MethodPatch, path: path, authz: strict, body: patch})
	if scimType, _ := decodeSCIMError(t, resp, body, http.StatusBadRequest); scimType != "noTarget" {
		t.Fatalf("strict credential: scimType %q, want noTarget", scimType)
	}
	resp, body = s.do(t, e2eRequest{method: http.MethodPatch, path: path, authz: okta, body: patch})
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "home@example.com") {
		t.Fatalf("default credential: %d %s; want the home email added", resp.StatusCode, body)
	}
}

func sumRequests(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

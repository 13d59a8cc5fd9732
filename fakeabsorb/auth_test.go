package fakeabsorb

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestAuthenticate(t *testing.T) {
	f := setup(t, Options{})
	tests := []struct {
		name    string
		key     string
		body    any
		status  int
		message string
	}{
		{"ok", PrivateKey, map[string]string{"username": BridgeAdminUsername, "password": AdminPassword, "privateKey": PrivateKey}, 200, ""},
		{"username any case", PrivateKey, map[string]string{"username": "Bridge-Admin", "password": AdminPassword, "privateKey": PrivateKey}, 200, ""},
		{"missing password", PrivateKey, map[string]string{"username": BridgeAdminUsername, "privateKey": PrivateKey}, 400, "The username, password and privateKey fields are required."},
		{"missing privateKey", PrivateKey, map[string]string{"username": BridgeAdminUsername, "password": AdminPassword}, 400, "The username, password and privateKey fields are required."},
		{"missing username", PrivateKey, map[string]string{"password": AdminPassword, "privateKey": PrivateKey}, 400, "The username, password and privateKey fields are required."},
		{"not JSON", PrivateKey, "{", 400, "The request is invalid."},
		{"wrong password", PrivateKey, map[string]string{"username": BridgeAdminUsername, "password": "nope", "privateKey": PrivateKey}, 401, "Invalid username or password."},
		{"wrong privateKey", PrivateKey, map[string]string{"username": BridgeAdminUsername, "password": AdminPassword, "privateKey": "other"}, 401, "Invalid username or password."},
		{"unknown user", PrivateKey, map[string]string{"username": "nobody", "password": AdminPassword, "privateKey": PrivateKey}, 401, "Invalid username or password."},
		{"learner is not an admin", PrivateKey, map[string]string{"username": "alice@example.com", "password": "Learner#2024", "privateKey": PrivateKey}, 401, "Invalid username or password."},
		{"wrong key header", "other", map[string]string{"username": BridgeAdminUsername, "password": AdminPassword, "privateKey": PrivateKey}, 403, "Forbidden"},
		{"key header is case-sensitive", "DEMO-KEY", map[string]string{"username": BridgeAdminUsername, "password": AdminPassword, "privateKey": PrivateKey}, 403, "Forbidden"},
		{"no key header", "", map[string]string{"username": BridgeAdminUsername, "password": AdminPassword, "privateKey": PrivateKey}, 403, "Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := f.request("POST", "/authenticate", tt.body)
			if tt.key != "" {
				req.Header.Set("x-api-key", tt.key)
			}
			res := f.roundTrip(req).want(t, tt.status)
			if tt.status == 200 {
				var tok string
				if err := json.Unmarshal(res.body, &tok); err != nil || tok == "" {
					t.Fatalf("body %s is not a bare JSON string token", res.body)
				}
				return
			}
			if got := res.message(t); got != tt.message {
				t.Errorf("message = %q, want %q", got, tt.message)
			}
		})
	}
}

func TestTokenForms(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(AuditorUsername)
	tests := []struct {
		name   string
		header string
		status int
	}{
		{"bearer", "Bearer " + tok, 200},
		{"bearer lower case", "bearer " + tok, 200},
		{"raw token", tok, 200},
		{"missing", "", 401},
		{"garbage", "Bearer not-a-token", 401},
		{"quoted token", `"` + tok + `"`, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := f.request("GET", "/users/"+UserAliceID, nil)
			req.Header.Set("x-api-key", PrivateKey)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			res := f.roundTrip(req).want(t, tt.status)
			if tt.status == 401 {
				if got, want := res.message(t), "Authorization has been denied for this request."; got != want {
					t.Errorf("message = %q, want %q", got, want)
				}
			}
		})
	}
	t.Run("valid token but no key", func(t *testing.T) {
		req := f.request("GET", "/users/"+UserAliceID, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		f.roundTrip(req).want(t, 403)
	})
}

func TestSecondLoginSupersedesToken(t *testing.T) {
	f := setup(t, Options{})
	first := f.login(BridgeAdminUsername)
	other := f.login(AuditorUsername)
	f.send("GET", "/users", first, nil).want(t, 200)
	second := f.login(BridgeAdminUsername)
	if second == first {
		t.Fatal("second login returned the same token")
	}
	f.send("GET", "/users", first, nil).want(t, 401)
	f.send("GET", "/users", second, nil).want(t, 200)
	// Another admin's login does not touch this one's token.
	f.send("GET", "/users", other, nil).want(t, 200)
}

func TestTokenExpires(t *testing.T) {
	clk := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	f := setup(t, Options{Now: clk.Now, TokenTTL: time.Hour})
	tok := f.login(BridgeAdminUsername)
	clk.Add(59 * time.Minute)
	f.send("GET", "/users", tok, nil).want(t, 200)
	clk.Add(time.Minute)
	f.send("GET", "/users", tok, nil).want(t, 401)
	// A fresh login works again.
	f.send("GET", "/users", f.login(BridgeAdminUsername), nil).want(t, 200)
}

func TestDefaultTokenTTLIsFourHours(t *testing.T) {
	clk := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	f := setup(t, Options{Now: clk.Now})
	tok := f.login(BridgeAdminUsername)
	clk.Add(4*time.Hour - time.Second)
	f.send("GET", "/users", tok, nil).want(t, 200)
	clk.Add(time.Second)
	f.send("GET", "/users", tok, nil).want(t, 401)
}

func TestStealToken(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	keep := f.login(AuditorUsername)
	f.srv.StealToken(BridgeAdminUsername)
	f.send("GET", "/users", tok, nil).want(t, 401)
	f.send("GET", "/users", keep, nil).want(t, 200)

	tok = f.login(BridgeAdminUsername)
	res := f.roundTrip(f.request("POST", "/_fake/steal-token?username="+BridgeAdminUsername, nil)).want(t, 200)
	if got := res.object(t)["revoked"]; got != true {
		t.Errorf("revoked = %v, want true", got)
	}
	f.send("GET", "/users", tok, nil).want(t, 401)
	res = f.roundTrip(f.request("POST", "/_fake/steal-token?username="+BridgeAdminUsername, nil)).want(t, 200)
	if got := res.object(t)["revoked"]; got != false {
		t.Errorf("second steal: revoked = %v, want false", got)
	}
	if got := f.srv.Stats().Logins; got != 3 {
		t.Errorf("logins = %d, want 3 (steals are not logins)", got)
	}
}

func TestUnknownPathIsGatewayForbidden(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	const want = "'[redacted]' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer [redacted]'."
	tests := []struct {
		name, method, path string
	}{
		{"unknown path", "GET", "/nope"},
		{"legacy login path", "POST", "/authentication"},
		{"trailing slash", "GET", "/users/"},
		{"delete user", "DELETE", "/users/" + UserAliceID},
		{"batch path of the guide", "POST", "/users/batch"},
		{"group write", "POST", "/groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.send(tt.method, tt.path, tok, nil).want(t, http.StatusForbidden)
			if got := res.message(t); got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
		})
	}
	t.Run("no key", func(t *testing.T) {
		res := f.roundTrip(f.request("GET", "/nope", nil)).want(t, http.StatusForbidden)
		if got := res.message(t); got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	})
	for _, u := range f.srv.Users() {
		if u.ID == UserAliceID {
			return
		}
	}
	t.Error("DELETE removed alice")
}

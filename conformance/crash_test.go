package conformance

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestCrashDuringCreate kills the bridge (SIGKILL) while it waits for
// Absorb's answer to a create that Absorb has already carried out, restarts
// it on the same data directory and lets the IdP try again. Entra and Okta
// both retry a create that timed out; the retry must end with exactly one
// Absorb account and one SCIM user for that userName.
//
// A replayed POST must succeed (201) with the user, not answer 409: Okta
// treats a 409 on create as "user already exists" and stops, and Entra
// only resolves a 409 on its next cycle. The IdP that looks first (GET
// filter userName eq, as both do before a create) must find at most one
// user, and a POST after an empty answer must also give 201.
func TestCrashDuringCreate(t *testing.T) {
	t.Parallel()
	for _, flow := range []string{"replayed POST", "GET then POST"} {
		t.Run(flow, func(t *testing.T) {
			t.Parallel()
			crashDuringCreate(t, flow == "GET then POST")
		})
	}
}

func crashDuringCreate(t *testing.T, matchFirst bool) {
	fake := startFake(t, nil, "")
	// Pinned strict, a create of a username the local copy does not know
	// asks Absorb nothing before its POST; the usernames here are new, so
	// which create behaviour the fake plays changes nothing else.
	srv := startServe(t, serveOptions{absorbURL: fake.url, createBehaviour: "strict"})
	srv.waitReady(t, 20*time.Second)
	idp := srv.idp()
	// A first user warms the bridge up (token, department lookups), so the
	// create below makes exactly one call to Absorb: the POST.
	idp.must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc("warm-up@example.com", "Warm", "Up", nil))

	userName := "crash@example.com"
	if matchFirst {
		userName = "crash-match@example.com"
	}
	body := userDoc(userName, "Casey", "Rash", map[string]any{"title": "Engineer"})
	fake.resetStats(t)
	// The fake answers 15s after committing: the bridge is killed long
	// before, however busy the machine, and the test waits for none of it
	// (the bridge's own timeout, 30s, stays out of the way).
	fake.setFaults(t, "latency=15s")
	first := make(chan error, 1)
	go func() {
		r, err := idp.send(context.Background(), http.MethodPost, "/Users", body)
		if err == nil {
			err = fmt.Errorf("answered %s", r)
		}
		first <- err
	}()
	waitFor(t, 10*time.Second, "the create to reach Absorb", func() bool {
		var s fakeStats
		return fake.control(http.MethodGet, "/_fake/stats", &s) == nil && s.Requests["POST /users"] >= 1
	})
	// The fake fixed the create's latency when the request arrived; clearing
	// the faults now lets the auditor read at once while the bridge still
	// waits. The account appears when the fake has committed the create.
	fake.setFaults(t, "")
	ab := fake.auditor(t)
	waitFor(t, 10*time.Second, "Absorb to commit the create", func() bool {
		return len(ab.usersNamed(t, userName)) == 1
	})
	select {
	case err := <-first:
		t.Fatalf("the first POST was answered before the crash (%v); the fake's latency is too short for this machine", err)
	default:
	}
	srv.mustKill(t)
	if err := <-first; err == nil {
		t.Fatal("the first POST got an answer from a killed bridge")
	} else {
		t.Logf("first POST, interrupted by the crash: %v", err)
	}
	if n := len(ab.usersNamed(t, userName)); n != 1 {
		t.Fatalf("before the restart Absorb holds %d accounts named %s, want 1 (the crash must come after Absorb's commit)", n, userName)
	}

	srv = srv.mustRestart(t)
	idp = srv.idp()
	var id string
	if matchFirst {
		// Entra and Okta look the user up before they create it.
		r := idp.must(t, http.StatusOK, http.MethodGet, `/Users?filter=userName eq "`+userName+`"`, nil)
		switch total := r.doc()["totalResults"]; total {
		case 1.0:
			id = resourceAt(t, r, 0)["id"].(string)
			t.Logf("the IdP's lookup matched the account Absorb holds (user %s)", id)
		case 0.0:
			t.Log("the IdP's lookup found nothing; it creates")
		default:
			t.Fatalf("lookup after the crash: totalResults %v, want 0 or 1: %s", total, r)
		}
	}
	if id == "" {
		r := idp.must(t, http.StatusCreated, http.MethodPost, "/Users", body)
		got := r.doc()
		id, _ = got["id"].(string)
		if id == "" || got["userName"] != userName || got["title"] != "Engineer" {
			t.Fatalf("replayed POST answered %s", r)
		}
	}
	// A further POST is a real duplicate now: 409, as IdPs expect.
	idp.must(t, http.StatusConflict, http.MethodPost, "/Users", body)

	r := idp.must(t, http.StatusOK, http.MethodGet, `/Users?filter=userName eq "`+userName+`"`, nil)
	if total := r.doc()["totalResults"]; total != 1.0 {
		t.Fatalf("SCIM users named %s: %v, want 1: %s", userName, total, r)
	}
	if got := resourceAt(t, r, 0)["id"]; got != id {
		t.Errorf("the lookup finds user %v, the create answered %s", got, id)
	}
	idp.must(t, http.StatusOK, http.MethodGet, "/Users/"+id, nil)
	accounts := ab.usersNamed(t, userName)
	if len(accounts) != 1 {
		t.Fatalf("Absorb accounts named %s: %d, want 1: %v", userName, len(accounts), accounts)
	}
	a := accounts[0]
	for field, want := range map[string]any{
		"firstName": "Casey", "lastName": "Rash", "emailAddress": userName,
		"externalId": "ext-" + userName, "jobTitle": "Engineer", "activeStatus": 0.0,
	} {
		if a[field] != want {
			t.Errorf("Absorb %s = %v, want %v", field, a[field], want)
		}
	}
}

// resourceAt returns Resources[i] of a list answer.
func resourceAt(t *testing.T, r reply, i int) map[string]any {
	t.Helper()
	list, _ := r.doc()["Resources"].([]any)
	if i >= len(list) {
		t.Fatalf("no Resources[%d] in %s", i, r)
	}
	m, _ := list[i].(map[string]any)
	return m
}

package doctor_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/doctor"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/namecheck"
)

// portal is a fake Absorb over real HTTP.
type portal struct {
	srv *fakeabsorb.Server
	url string
}

func startPortal(t *testing.T, opts fakeabsorb.Options) *portal {
	t.Helper()
	opts.RateLimit = -1
	opts.RandSeed = 7
	srv, err := fakeabsorb.New(opts)
	if err != nil {
		t.Fatalf("fakeabsorb.New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &portal{srv: srv, url: ts.URL}
}

func (p *portal) client(t *testing.T, username, password, key string) *absorbapi.Client {
	t.Helper()
	c, err := absorbapi.New(absorbapi.Config{
		BaseURL: p.url, PrivateKey: key, Username: username, Password: password,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 2,
	})
	if err != nil {
		t.Fatalf("absorbapi.New: %v", err)
	}
	return c
}

func (p *portal) admin(t *testing.T) *absorbapi.Client {
	return p.client(t, fakeabsorb.BridgeAdminUsername, fakeabsorb.AdminPassword, fakeabsorb.PrivateKey)
}

func check(t *testing.T, rep doctor.Report, name string) doctor.Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %q check in %+v", name, rep.Checks)
	return doctor.Check{}
}

func baseConfig(c doctor.Absorb) doctor.Config {
	return doctor.Config{
		Absorb:            c,
		DefaultDepartment: "Company",
		Names: []namecheck.Name{
			{Key: "mapping.defaultDepartment", Kind: namecheck.Department, Value: "Company", Required: true},
			{Key: "groupRules[0].department", Kind: namecheck.Department, Value: "Sales"},
			{Key: "groupRules[0].courses[0]", Kind: namecheck.Course, Value: "Sales Fundamentals"},
		},
	}
}

func TestDoctorReadOnlyOnAHealthyPortal(t *testing.T) {
	p := startPortal(t, fakeabsorb.Options{})
	before := len(p.srv.Users())
	rep := doctor.Run(context.Background(), baseConfig(p.admin(t)))
	if !rep.OK {
		t.Fatalf("report not ok: %+v", rep.Checks)
	}
	for _, name := range []string{"gateway", "login", "scope", "names", "languages", "sort", "filterPaging", "dates", "clock"} {
		if c := check(t, rep, name); !c.OK {
			t.Errorf("check %s failed: %+v", name, c)
		}
	}
	b := rep.Behaviour
	if b.Sort != "any" || b.FilterPaging != "ok" || b.Dates != "rfc3339" {
		t.Errorf("read-only behaviour = %+v, want sort any, filterPaging ok, dates rfc3339", b)
	}
	if b.Create != doctor.Unknown || b.Put != doctor.Unknown || b.Answers != doctor.Unknown || b.Upload != doctor.Unknown {
		t.Errorf("behaviours only writes show = %+v, want unknown without a write test", b)
	}
	if after := len(p.srv.Users()); after != before {
		t.Errorf("a read-only run changed the portal: %d users, then %d", before, after)
	}
}

func TestDoctorLoginFailuresSayWhatToCheck(t *testing.T) {
	p := startPortal(t, fakeabsorb.Options{})
	cases := []struct {
		name                     string
		user, password, key      string
		wantDetail, wantFixInKey string
	}{
		{"wrong key", fakeabsorb.BridgeAdminUsername, fakeabsorb.AdminPassword, "not-the-key", "private key", "absorb.privateKey"},
		{"wrong password", fakeabsorb.BridgeAdminUsername, "wrong", fakeabsorb.PrivateKey, "username or password", "absorb.password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := doctor.Run(context.Background(), baseConfig(p.client(t, c.user, c.password, c.key)))
			if rep.OK {
				t.Fatal("report ok with refused credentials")
			}
			login := check(t, rep, "login")
			if login.OK || !strings.Contains(login.Detail, c.wantDetail) || !strings.Contains(login.Fix, c.wantFixInKey) {
				t.Errorf("login check = %+v, want a failure about the %s naming %s", login, c.wantDetail, c.wantFixInKey)
			}
			if strings.Contains(login.Detail+login.Fix, fakeabsorb.AdminPassword) {
				t.Error("the report shows the password")
			}
		})
	}
}

func TestDoctorNamesThatDoNotResolve(t *testing.T) {
	p := startPortal(t, fakeabsorb.Options{})
	cfg := baseConfig(p.admin(t))
	cfg.Names = []namecheck.Name{
		{Key: "groupRules[1].department", Kind: namecheck.Department, Value: "Sales"},
		{Key: "groupRules[2].department", Kind: namecheck.Department, Value: "Enginering"},
		{Key: "groupRules[2].courses[0]", Kind: namecheck.Course, Value: "Security Awarenes"},
	}
	rep := doctor.Run(context.Background(), cfg)
	names := check(t, rep, "names")
	if !rep.OK || names.OK {
		t.Fatalf("unknown group rule names: report ok %v, names check %+v; want a warning that does not block", rep.OK, names)
	}
	for _, w := range []string{"groupRules[2].department", `"Engineering"`, "groupRules[2].courses[0]", `"Security Awareness"`} {
		if !strings.Contains(names.Detail, w) {
			t.Errorf("names check %q does not mention %s", names.Detail, w)
		}
	}
	if strings.Contains(names.Detail, "groupRules[1]") {
		t.Error("a department that resolves is listed as a problem")
	}

	cfg.DefaultDepartment = "Compnay"
	cfg.Names = append(cfg.Names, namecheck.Name{Key: "mapping.defaultDepartment", Kind: namecheck.Department, Value: "Compnay", Required: true})
	rep = doctor.Run(context.Background(), cfg)
	names = check(t, rep, "names")
	if rep.OK || !strings.Contains(names.Detail, "mapping.defaultDepartment") || !strings.Contains(names.Detail, `"Company"`) {
		t.Errorf("a default department that does not resolve: report ok %v, names %+v; want blocked, naming the key and the close match", rep.OK, names)
	}
}

func TestDoctorWarnsOfADepartmentScope(t *testing.T) {
	p := startPortal(t, fakeabsorb.Options{})
	cfg := baseConfig(p.client(t, fakeabsorb.ScopedAdminUsername, fakeabsorb.AdminPassword, fakeabsorb.PrivateKey))
	cfg.DefaultDepartment = "Sales"
	cfg.Names = []namecheck.Name{{Key: "mapping.defaultDepartment", Kind: namecheck.Department, Value: "Sales", Required: true}}
	rep := doctor.Run(context.Background(), cfg)
	scope := check(t, rep, "scope")
	if scope.OK || !strings.Contains(scope.Detail, "not the whole portal") {
		t.Errorf("scope check = %+v, want a warning that the scope is not the whole portal", scope)
	}
	if !rep.OK {
		t.Errorf("a scope warning blocked provisioning: %+v", rep.Checks)
	}
}

func TestDoctorWriteTest(t *testing.T) {
	p := startPortal(t, fakeabsorb.Options{})
	cfg := baseConfig(p.admin(t))
	cfg.WriteTest = &doctor.WriteTest{Username: "doctor-probe@example.com", Course: "Security Awareness"}
	rep := doctor.Run(context.Background(), cfg)
	if !rep.OK {
		t.Fatalf("report not ok: %+v", rep.Checks)
	}
	want := doctor.Behaviour{Create: "strict", Sort: "any", Put: "replace", Dates: "rfc3339", FilterPaging: "ok", Answers: "object", Upload: "update"}
	if rep.Behaviour != want {
		t.Errorf("behaviour = %+v, want %+v", rep.Behaviour, want)
	}
	for _, name := range []string{"create", "put", "upload", "enroll", "unenroll", "writeTest"} {
		if c := check(t, rep, name); !c.OK {
			t.Errorf("check %s failed: %+v", name, c)
		}
	}
	var found []fakeabsorb.User
	for _, u := range p.srv.Users() {
		if u.Username == "doctor-probe@example.com" {
			found = append(found, u)
		}
	}
	if len(found) != 1 || found[0].ActiveStatus != 1 || found[0].DepartmentID != fakeabsorb.DeptCompanyID {
		t.Fatalf("probe learners = %+v, want one, inactive, in Company", found)
	}
	// A second run reuses the learner.
	rep = doctor.Run(context.Background(), cfg)
	if !rep.OK || rep.Behaviour.Create != "strict" {
		t.Errorf("second run: ok %v, behaviour %+v", rep.OK, rep.Behaviour)
	}
	n := 0
	for _, u := range p.srv.Users() {
		if u.Username == "doctor-probe@example.com" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d probe learners after a second run, want 1", n)
	}
}

func TestDoctorWriteTestNeverTouchesAnAdmin(t *testing.T) {
	p := startPortal(t, fakeabsorb.Options{})
	cfg := baseConfig(p.admin(t))
	cfg.WriteTest = &doctor.WriteTest{Username: fakeabsorb.AuditorUsername}
	rep := doctor.Run(context.Background(), cfg)
	wt := check(t, rep, "writeTest")
	if wt.OK || !strings.Contains(wt.Detail, "administrator") {
		t.Errorf("writeTest check = %+v, want a refusal naming an administrator", wt)
	}
	for _, u := range p.srv.Users() {
		if u.Username == fakeabsorb.AuditorUsername && u.ActiveStatus != 0 {
			t.Error("the write test deactivated an admin")
		}
	}
}

// Against the fake in each variant, alone and all at once, a write test
// reports the variant it plays.
func TestDoctorFindsEachVariant(t *testing.T) {
	defaults := doctor.Behaviour{Create: "strict", Sort: "any", Put: "replace", Dates: "rfc3339", FilterPaging: "ok", Answers: "object", Upload: "update"}
	all := doctor.Behaviour{Create: "upsert", Sort: "limited", Put: "merge", Dates: "absorb", FilterPaging: "broken", Answers: "string", Upload: "keep"}
	cases := []struct {
		variant string
		want    func(*doctor.Behaviour)
	}{
		{"", func(*doctor.Behaviour) {}},
		{"create=upsert", func(b *doctor.Behaviour) { b.Create = "upsert" }},
		{"sort=limited", func(b *doctor.Behaviour) { b.Sort = "limited" }},
		{"put=merge", func(b *doctor.Behaviour) { b.Put = "merge" }},
		{"dates=absorb", func(b *doctor.Behaviour) { b.Dates = "absorb" }},
		{"filterpaging=broken", func(b *doctor.Behaviour) { b.FilterPaging = "broken" }},
		{"answers=string", func(b *doctor.Behaviour) { b.Answers = "string" }},
		{"upload=keep", func(b *doctor.Behaviour) { b.Upload = "keep" }},
		{"create=upsert,sort=limited,put=merge,dates=absorb,filterpaging=broken,answers=string,upload=keep", func(b *doctor.Behaviour) { *b = all }},
	}
	for _, c := range cases {
		t.Run(c.variant, func(t *testing.T) {
			v, err := fakeabsorb.ParseVariants(c.variant)
			if err != nil {
				t.Fatalf("ParseVariants: %v", err)
			}
			p := startPortal(t, fakeabsorb.Options{Variants: v})
			cfg := baseConfig(p.admin(t))
			cfg.WriteTest = &doctor.WriteTest{Username: "doctor-probe@example.com", Course: "Security Awareness"}
			rep := doctor.Run(context.Background(), cfg)
			want := defaults
			c.want(&want)
			if rep.Behaviour != want {
				t.Errorf("behaviour = %+v, want %+v", rep.Behaviour, want)
			}
			if !rep.OK {
				t.Errorf("report not ok: %+v", rep.Checks)
			}
		})
	}
}

func TestBehaviourPin(t *testing.T) {
	found := doctor.Behaviour{Create: "strict", Sort: "any", Put: doctor.Unknown, Dates: "absorb", FilterPaging: "ok", Answers: ""}
	got, took := found.Pin(doctor.Behaviour{Put: "merge", FilterPaging: "broken", Sort: doctor.Unknown})
	want := doctor.Behaviour{Create: "strict", Sort: "any", Put: "merge", Dates: "absorb", FilterPaging: "broken", Answers: doctor.Unknown, Upload: doctor.Unknown}
	if got != want {
		t.Errorf("Pin = %+v, want %+v", got, want)
	}
	if strings.Join(took, ",") != "filterPaging,put" {
		t.Errorf("pinned %v, want filterPaging and put", took)
	}
}

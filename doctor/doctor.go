// Package doctor checks an Absorb portal before an identity provider is
// pointed at the bridge: that the gateway answers, that the credentials log
// in, what the admin can see, that every name the configuration uses
// resolves, and which of the behaviours the Integration API leaves open
// (fakeabsorb/README.md lists them) this portal has. It only reads, unless a
// write test is asked for.
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/namecheck"
)

// Absorb is what doctor needs of the Integration API client: raw requests,
// so that it sees the answers as Absorb sends them, and the client's own
// look-ups where their meaning is settled.
type Absorb interface {
	Login(ctx context.Context) error
	NewRequest(ctx context.Context, method, pattern string, query url.Values, body any, args ...string) (*http.Request, error)
	Do(req *http.Request, v any) (*http.Response, error)
	BaseURL() string
	ListDepartments(ctx context.Context, opts absorbapi.ListDepartmentsOptions) ([]absorbapi.Department, error)
	ListCourses(ctx context.Context) ([]absorbapi.Course, error)
	FindUserByUsername(ctx context.Context, username string) (*absorbapi.User, error)
	ListUserEnrollments(ctx context.Context, userID string) ([]absorbapi.Enrollment, error)
	UnenrollUser(ctx context.Context, enrollmentIDs []string) error
}

// Unknown is a behaviour that was not probed.
const Unknown = "unknown"

// Behaviour is what the portal was found to do where the Integration API's
// documentation leaves it open; each field holds the fake's variant value
// (create=strict|upsert, …) or Unknown.
type Behaviour struct {
	Create       string `json:"create"`
	Sort         string `json:"sort"`
	Put          string `json:"put"`
	Dates        string `json:"dates"`
	FilterPaging string `json:"filterPaging"`
	Answers      string `json:"answers"`
	// Upload is what POST /users/upload does to an existing account it
	// matches: "update" writes it (its department moves), "keep" leaves it.
	Upload string `json:"upload"`
}

// Check is one line of the report. A check that fails and Blocks stops
// provisioning; one that fails without blocking is a warning.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
	Blocks bool   `json:"-"`
}

// Report is what Run found.
type Report struct {
	OK        bool      `json:"ok"`
	Checks    []Check   `json:"checks"`
	Behaviour Behaviour `json:"behaviour"`
	CheckedAt time.Time `json:"checkedAt"`
}

// WriteTest asks Run to probe the behaviours that only a write shows, on a
// throwaway learner.
type WriteTest struct {
	// Username of the learner to create, or reuse when it exists.
	Username string
	// Course, an id or name, to enroll the learner in and unenroll again;
	// empty skips the enrollment probe.
	Course string
}

// Config is what Run checks.
type Config struct {
	Absorb Absorb
	// Names are the department and course names the configuration gives,
	// resolved as serve resolves them at start.
	Names []namecheck.Name
	// DefaultDepartment is mapping.defaultDepartment, where the write test
	// puts its learner.
	DefaultDepartment string
	// CustomFields are the custom field slots the mapping writes
	// ("string1", "decimal2", …).
	CustomFields []string
	// WriteTest, when not nil, also probes create, PUT, dates, the upload,
	// enroll and unenroll on a learner, then deactivates it.
	WriteTest *WriteTest
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxClockSkew is how far the portal's clock may be from this one before
	// a warning; zero means two minutes.
	MaxClockSkew time.Duration
}

// run is one doctor run: the configuration and what it has found so far.
type run struct {
	cfg     Config
	rep     Report
	depts   []absorbapi.Department
	courses []absorbapi.Course
	defID   string // the default department's id, once resolved
	sample  map[string]any
}

// Run checks the portal and returns the report. It never fails: what goes
// wrong is a failed check.
func Run(ctx context.Context, cfg Config) Report {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxClockSkew <= 0 {
		cfg.MaxClockSkew = 2 * time.Minute
	}
	r := &run{cfg: cfg, rep: Report{Behaviour: UnknownBehaviour()}}
	r.rep.CheckedAt = cfg.Now().UTC()
	if r.login(ctx) {
		r.scope(ctx)
		r.names(ctx)
		r.customFields(ctx)
		r.languages(ctx)
		r.sorting(ctx)
		r.filteredPaging(ctx)
		r.dates()
		if cfg.WriteTest != nil {
			r.writeTest(ctx)
		}
	}
	r.rep.OK = true
	for _, c := range r.rep.Checks {
		if !c.OK && c.Blocks {
			r.rep.OK = false
		}
	}
	return r.rep
}

func (r *run) pass(name, detail string) {
	r.rep.Checks = append(r.rep.Checks, Check{Name: name, OK: true, Detail: detail})
}

func (r *run) warn(name, detail, fix string) {
	r.rep.Checks = append(r.rep.Checks, Check{Name: name, Detail: detail, Fix: fix})
}

func (r *run) fail(name, detail, fix string) {
	r.rep.Checks = append(r.rep.Checks, Check{Name: name, Detail: detail, Fix: fix, Blocks: true})
}

// raw sends one request and returns the answer's status and body as Absorb
// sent them; err is set only when no answer came.
func (r *run) raw(ctx context.Context, method, pattern string, q url.Values, body any, args ...string) (int, http.Header, []byte, error) {
	req, err := r.cfg.Absorb.NewRequest(ctx, method, pattern, q, body, args...)
	if err != nil {
		return 0, nil, nil, err
	}
	var b []byte
	resp, err := r.cfg.Absorb.Do(req, &b)
	if resp == nil {
		if err == nil {
			err = errors.New("no answer")
		}
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, b, nil
}

// login checks the gateway and the credentials; the other checks need both.
func (r *run) login(ctx context.Context) bool {
	base := r.cfg.Absorb.BaseURL()
	err := r.cfg.Absorb.Login(ctx)
	var unavailable *absorbapi.UnavailableError
	switch {
	case err == nil:
		r.pass("gateway", base+" answers")
		r.pass("login", "the private key, username and password log in")
		return true
	case errors.As(err, &unavailable) && unavailable.Status == 0:
		r.fail("gateway", fmt.Sprintf("%s does not answer: %v", base, err),
			"check absorb.region (or absorb.url) and that this host can reach it (proxy, firewall, DNS)")
		return false
	case errors.As(err, &unavailable):
		r.pass("gateway", base+" answers")
		r.fail("login", fmt.Sprintf("Absorb failed the login with %d: %v", unavailable.Status, err),
			"retry later; if it persists, Absorb support can say why the gateway fails")
		return false
	}
	r.pass("gateway", base+" answers")
	msg := err.Error()
	switch {
	case errors.Is(err, absorbapi.ErrForbidden):
		r.fail("login", "the gateway refused the private key (403 Forbidden)",
			"set absorb.privateKey to the portal's Integration API key: it is case-sensitive, and production and sandbox keys differ")
	case containsFold(msg, "locked") || containsFold(msg, "inactive") || containsFold(msg, "disabled"):
		r.fail("login", "Absorb says the admin account is locked or inactive: "+msg,
			"unlock or reactivate absorb.username in Absorb (Admin > Users), or use another admin")
	case errors.Is(err, absorbapi.ErrUnauthorized):
		r.fail("login", "Absorb refused the username or password",
			"check absorb.username and absorb.password (the admin's own login, not an API key)")
	default:
		r.fail("login", "the login failed: "+msg, "check the absorb section of the configuration")
	}
	return false
}

// scope reports how much of the portal the admin sees: a department scope
// that is not the whole portal hides learners, and a create for a hidden
// username is refused as a conflict.
func (r *run) scope(ctx context.Context) {
	depts, err := r.cfg.Absorb.ListDepartments(ctx, absorbapi.ListDepartmentsOptions{})
	if err != nil {
		r.fail("scope", "cannot list departments: "+err.Error(),
			"give the admin a role that can read users and departments through the API")
		return
	}
	r.depts = depts
	status, hdr, body, err := r.raw(ctx, http.MethodGet, "/users", url.Values{"_limit": {"1"}}, nil)
	if err == nil {
		r.noteDate(hdr)
	}
	if err != nil || status != http.StatusOK {
		r.fail("scope", fmt.Sprintf("cannot list users (%d): %v", status, err),
			"give the admin a role that can read users through the API")
		return
	}
	var page struct {
		TotalItems int              `json:"totalItems"`
		Users      []map[string]any `json:"users"`
	}
	_ = json.Unmarshal(body, &page)
	if len(page.Users) > 0 {
		r.sample = page.Users[0]
	}
	roots := 0
	for _, d := range depts {
		if d.ParentID == "" {
			roots++
		}
	}
	detail := fmt.Sprintf("the admin sees %d users in %d departments", page.TotalItems, len(depts))
	if roots == 0 {
		r.warn("scope", detail+"; none of them is the portal's top department, so the admin's department scope is not the whole portal",
			"learners outside the scope are invisible: creates of their usernames are refused as conflicts. Give the admin the top department if the bridge should manage everyone")
		return
	}
	r.pass("scope", detail)
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// Values lists, for each behaviour by its JSON name, the values it may take,
// the safe default first.
var Values = map[string][]string{
	"create":       {"strict", "upsert"},
	"sort":         {"any", "limited"},
	"put":          {"replace", "merge"},
	"dates":        {"rfc3339", "absorb"},
	"filterPaging": {"ok", "broken"},
	"answers":      {"object", "string"},
	"upload":       {"update", "keep"},
}

// fields returns pointers to b's fields by their JSON names.
func (b *Behaviour) fields() map[string]*string {
	return map[string]*string{
		"create": &b.Create, "sort": &b.Sort, "put": &b.Put,
		"dates": &b.Dates, "filterPaging": &b.FilterPaging, "answers": &b.Answers,
		"upload": &b.Upload,
	}
}

// Pin returns b with every behaviour that pinned gives (not empty, not
// Unknown) taken from pinned, and the names of the behaviours it took.
func (b Behaviour) Pin(pinned Behaviour) (Behaviour, []string) {
	var took []string
	out := b
	from := pinned.fields()
	for name, f := range out.fields() {
		if v := *from[name]; v != "" && v != Unknown {
			*f = v
			took = append(took, name)
		}
	}
	for _, f := range out.fields() {
		if *f == "" {
			*f = Unknown
		}
	}
	sort.Strings(took)
	return out, took
}

// UnknownBehaviour is a Behaviour with nothing known.
func UnknownBehaviour() Behaviour {
	return Behaviour{Create: Unknown, Sort: Unknown, Put: Unknown, Dates: Unknown, FilterPaging: Unknown, Answers: Unknown, Upload: Unknown}
}

// ReadReport reads a report that doctor recorded.
func ReadReport(path string) (Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return Report{}, fmt.Errorf("doctor report %s: %w", path, err)
	}
	return rep, nil
}

package doctor

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/namecheck"
)

// probePhone is written and then omitted to see whether PUT keeps omitted
// fields.
const probePhone = "555-0100"

// writeTest creates (or reuses) the throwaway learner and probes what only
// writes show, then deactivates it.
func (r *run) writeTest(ctx context.Context) {
	wt := r.cfg.WriteTest
	if r.defID == "" {
		r.fail("writeTest", "the write test needs the default department, which did not resolve", "fix mapping.defaultDepartment first")
		return
	}
	existing, err := r.cfg.Absorb.FindUserByUsername(ctx, wt.Username)
	var id string
	switch {
	case err == nil && (existing.IsAdmin || len(existing.RoleIDs) > 0):
		r.fail("writeTest", fmt.Sprintf("%q belongs to an Absorb administrator; the write test never touches one", wt.Username),
			"pass -write-test a username of its own (a throwaway learner)")
		return
	case err == nil:
		id = existing.ID
	case absorbapi.IsNotFound(err):
		id = r.createLearner(ctx)
		if id == "" {
			return
		}
	default:
		r.fail("writeTest", "looking the learner up failed: "+err.Error(), "")
		return
	}
	r.probeCreate(ctx, id)
	r.probePut(ctx, id)
	r.probeUpload(ctx, id)
	if wt.Course != "" {
		r.probeEnroll(ctx, id)
	}
	r.deactivate(ctx, id)
}

// learnerBody is the body of a create of the throwaway learner.
func (r *run) learnerBody(firstName string) map[string]any {
	return map[string]any{
		"username":     r.cfg.WriteTest.Username,
		"firstName":    firstName,
		"lastName":     "Doctor",
		"password":     randomPassword(),
		"departmentId": r.defID,
		"activeStatus": 0,
	}
}

func (r *run) createLearner(ctx context.Context) string {
	status, _, body, err := r.raw(ctx, http.MethodPost, "/users", nil, r.learnerBody("absorb-scim"))
	if err != nil || status/100 != 2 {
		r.fail("writeTest", fmt.Sprintf("creating learner %q failed (%d): %s%s", r.cfg.WriteTest.Username, status, errText(err), clip(body)),
			"check the admin's role allows creating users in the default department")
		return ""
	}
	id := r.noteAnswer(body)
	if id == "" {
		r.fail("writeTest", "the create answered no id: "+clip(body), "")
	}
	return id
}

// noteAnswer records whether a write answered an object or a bare id, and
// returns the id.
func (r *run) noteAnswer(body []byte) string {
	var s string
	if json.Unmarshal(body, &s) == nil {
		r.rep.Behaviour.Answers = "string"
		return s
	}
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		r.rep.Behaviour.Answers = "object"
		for _, k := range []string{"id", "Id", "ID"} {
			if v, ok := m[k].(string); ok {
				return v
			}
		}
	}
	return ""
}

// probeCreate posts the same username again: a strict portal refuses it, an
// upserting one updates the existing account.
func (r *run) probeCreate(ctx context.Context, id string) {
	status, _, body, err := r.raw(ctx, http.MethodPost, "/users", nil, r.learnerBody("absorb-scim"))
	switch {
	case err != nil:
		r.warn("create", "probing a create of a taken username failed: "+err.Error(), "")
	case status/100 == 2:
		got := r.noteAnswer(body)
		r.rep.Behaviour.Create = "upsert"
		detail := "a create of a taken username updates that account (upsert); the bridge looks usernames and external ids up before every create"
		if got != "" && got != id {
			detail += fmt.Sprintf(" (answered another id, %s)", got)
		}
		r.pass("create", detail)
	case status >= 400 && status < 500:
		r.rep.Behaviour.Create = "strict"
		r.pass("create", fmt.Sprintf("a create of a taken username is refused (%d)", status))
	default:
		r.warn("create", fmt.Sprintf("a create of a taken username answered %d", status), "")
	}
}

// probePut writes a phone number, then the whole user without it, and reads
// back whether PUT cleared it.
func (r *run) probePut(ctx context.Context, id string) {
	user, err := r.getUser(ctx, id)
	if err != nil {
		r.fail("put", "reading the learner failed: "+err.Error(), "")
		return
	}
	user["phone"] = probePhone
	if err := r.put(ctx, id, user); err != nil {
		r.fail("put", "a PUT failed: "+err.Error(), "")
		return
	}
	delete(user, "phone")
	if err := r.put(ctx, id, user); err != nil {
		r.fail("put", "a PUT failed: "+err.Error(), "")
		return
	}
	after, err := r.getUser(ctx, id)
	if err != nil {
		r.fail("put", "reading the learner failed: "+err.Error(), "")
		return
	}
	if s, _ := after["dateEdited"].(string); s != "" {
		r.noteDateFormat(s)
	}
	if phone, _ := after["phone"].(string); phone == probePhone {
		r.rep.Behaviour.Put = "merge"
		r.pass("put", "PUT keeps fields it omits (merge); the bridge sends every cleared field explicitly")
		return
	}
	r.rep.Behaviour.Put = "replace"
	r.pass("put", "PUT clears fields it omits (replace)")
}

// probeUpload sends the learner, moved to another department, in a
// POST /users/upload and reads it back: an upload that moved it updates
// existing accounts, and the group rules may then change departments 200
// users per call. The learner is put back in its department after.
func (r *run) probeUpload(ctx context.Context, id string) {
	user, err := r.getUser(ctx, id)
	if err != nil {
		r.fail("upload", "reading the learner failed: "+err.Error(), "")
		return
	}
	from, _ := user["departmentId"].(string)
	to := ""
	for _, d := range r.depts {
		if !strings.EqualFold(d.ID, from) {
			to = d.ID
			break
		}
	}
	if to == "" {
		r.warn("upload", "the admin sees only one department, so the upload cannot be probed by moving the learner",
			"group rules change departments one PUT per user until the upload is known to update existing accounts (absorb.behaviour.upload)")
		return
	}
	moved := maps.Clone(user)
	moved["departmentId"] = to
	status, _, body, err := r.raw(ctx, http.MethodPost, "/users/upload", nil, []map[string]any{moved})
	if err != nil || status/100 != 2 {
		r.warn("upload", fmt.Sprintf("an upload of the learner failed (%d): %s%s", status, errText(err), clip(body)),
			"group rules change departments one PUT per user; check the admin's role allows uploading users")
		return
	}
	var answer []struct {
		Key string `json:"key"`
	}
	_ = json.Unmarshal(body, &answer)
	answered := false
	for _, a := range answer {
		answered = answered || strings.EqualFold(a.Key, id)
	}
	after, err := r.getUser(ctx, id)
	if err != nil {
		r.fail("upload", "reading the learner after the upload failed: "+err.Error(), "")
		return
	}
	now, _ := after["departmentId"].(string)
	switch {
	case strings.EqualFold(now, to):
		r.rep.Behaviour.Upload = "update"
		r.pass("upload", "an upload updates the existing account it names (the learner's department moved); group rules change departments 200 users per upload")
		if err := r.put(ctx, id, user); err != nil {
			r.fail("upload", "moving the learner back to its department failed: "+err.Error(), "move "+r.cfg.WriteTest.Username+" back by hand in Absorb")
		}
	case answered:
		r.rep.Behaviour.Upload = "keep"
		r.pass("upload", "an upload answers an existing account as taken but leaves it as it is (the learner's department did not move); group rules change departments one PUT per user")
	default:
		r.warn("upload", "an upload left the learner out of its answer and did not move it: not known whether it updates existing accounts"+clip(body),
			"group rules change departments one PUT per user; run the write test again, or ask Absorb support whether POST /users/upload updates existing users")
	}
}

func (r *run) getUser(ctx context.Context, id string) (map[string]any, error) {
	status, _, body, err := r.raw(ctx, http.MethodGet, "/users/{id}", nil, nil, id)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET /users/%s answered %d%s", id, status, clip(body))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	delete(m, "password")
	return m, nil
}

func (r *run) put(ctx context.Context, id string, user map[string]any) error {
	status, _, body, err := r.raw(ctx, http.MethodPut, "/users/{id}", nil, user, id)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return fmt.Errorf("PUT /users/%s answered %d%s", id, status, clip(body))
	}
	r.noteAnswer(body)
	return nil
}

// probeEnroll enrolls the learner in the write test's course, then unenrolls
// it, and checks both took.
func (r *run) probeEnroll(ctx context.Context, id string) {
	courses, err := r.cfg.Absorb.ListCourses(ctx)
	if err != nil {
		r.fail("enroll", "listing courses failed: "+err.Error(), "")
		return
	}
	course, ok := namecheck.FindCourse(courses, r.cfg.WriteTest.Course)
	if !ok {
		p := namecheck.Resolve([]namecheck.Name{{Key: "-write-test-course", Kind: namecheck.Course, Value: r.cfg.WriteTest.Course}}, nil, courses)
		r.fail("enroll", p.Problems[0].String(), "name a course by id or exact name")
		return
	}
	status, _, body, err := r.raw(ctx, http.MethodPost, "/users/{id}/enrollments/{courseId}", nil, nil, id, course.ID)
	if err != nil || status/100 != 2 {
		r.fail("enroll", fmt.Sprintf("enrolling in %q failed (%d): %s%s", course.Name, status, errText(err), clip(body)),
			"check the admin's role allows enrollments")
		return
	}
	r.noteAnswer(body)
	var enrollmentIDs []string
	list, err := r.cfg.Absorb.ListUserEnrollments(ctx, id)
	if err == nil {
		for _, e := range list {
			if e.CourseID == course.ID {
				enrollmentIDs = append(enrollmentIDs, e.ID)
			}
		}
	}
	if len(enrollmentIDs) == 0 {
		r.fail("enroll", fmt.Sprintf("the enrollment in %q does not show in the learner's enrollments (%s)", course.Name, errText(err)), "")
		return
	}
	r.pass("enroll", fmt.Sprintf("enrolled the learner in %q", course.Name))
	if err := r.cfg.Absorb.UnenrollUser(ctx, enrollmentIDs); err != nil {
		r.fail("unenroll", "unenrolling failed: "+err.Error(), "group rules with unenrollOnLeave cannot work; report the error to the bridge's maintainers")
		return
	}
	list, err = r.cfg.Absorb.ListUserEnrollments(ctx, id)
	for _, e := range list {
		if e.CourseID == course.ID {
			r.fail("unenroll", "the unenroll call answered but the enrollment is still there", "")
			return
		}
	}
	if err != nil {
		r.warn("unenroll", "reading enrollments after unenrolling failed: "+err.Error(), "")
		return
	}
	r.pass("unenroll", "unenrolled the learner; POST /enrollments/unenroll takes {\"enrollmentIds\": [...]}")
}

// deactivate leaves the learner inactive, as the write test found it or made it.
func (r *run) deactivate(ctx context.Context, id string) {
	user, err := r.getUser(ctx, id)
	if err == nil {
		user["activeStatus"] = 1
		err = r.put(ctx, id, user)
	}
	if err != nil {
		r.fail("writeTest", "deactivating the learner failed: "+err.Error(), "deactivate "+r.cfg.WriteTest.Username+" in Absorb by hand")
		return
	}
	r.pass("writeTest", fmt.Sprintf("learner %q (%s) is deactivated again", r.cfg.WriteTest.Username, id))
}

func clip(body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return ": " + s
}

// randomPassword is a strong password the learner is created with; it is
// never printed.
func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String() + "-9a!"
}

package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// Rule says what membership of matching groups does in Absorb. A group
// matches when every matcher that is set matches it: DisplayName and
// ExternalID exactly (DisplayName case-insensitively), the patterns as
// shell-style globs (*, ?, [...]) over the lower-cased value.
type Rule struct {
	Name               string
	DisplayName        string
	DisplayNamePattern string
	ExternalID         string
	ExternalIDPattern  string
	// Department (an id, external id or name) is given to members. A user in
	// several department groups gets the department of the first rule, in
	// declared order, that matches one of its groups.
	Department string
	// Courses (ids or names) members are enrolled in when they join.
	Courses []string
	// UnenrollOnLeave unenrolls members from Courses when they leave, unless
	// another of their groups still enrolls them.
	UnenrollOnLeave bool
}

// ValidateRules checks rules for mistakes a person would make; it returns
// every problem.
func ValidateRules(rules []Rule) error {
	var problems []string
	names := map[string]bool{}
	for i, r := range rules {
		label := fmt.Sprintf("rule %d", i+1)
		if r.Name != "" {
			label = fmt.Sprintf("rule %q", r.Name)
			if names[r.Name] {
				problems = append(problems, label+": duplicate name")
			}
			names[r.Name] = true
		}
		if r.DisplayName == "" && r.DisplayNamePattern == "" && r.ExternalID == "" && r.ExternalIDPattern == "" {
			problems = append(problems, label+": needs displayName, displayNamePattern, externalId or externalIdPattern")
		}
		for _, p := range []string{r.DisplayNamePattern, r.ExternalIDPattern} {
			if _, err := compileRulePattern(p); err != nil {
				problems = append(problems, fmt.Sprintf("%s: bad %v", label, err))
			}
		}
		if r.Department == "" && len(r.Courses) == 0 {
			problems = append(problems, label+": has no effect (set department or courses)")
		}
		if r.UnenrollOnLeave && len(r.Courses) == 0 {
			problems = append(problems, label+": unenrollOnLeave without courses")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("group rules: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (r Rule) matches(displayName, externalID string) bool {
	if r.DisplayName != "" && !strings.EqualFold(r.DisplayName, displayName) {
		return false
	}
	if r.ExternalID != "" && r.ExternalID != externalID {
		return false
	}
	return patternMatches(r.DisplayNamePattern, displayName) && patternMatches(r.ExternalIDPattern, externalID)
}

// ruleState is the per-user state the rules keep in storage: pending work,
// so a restart finishes what a membership change started.
type ruleState struct {
	Pending bool        `json:"pending"`
	Joined  []string    `json:"joined,omitempty"` // group ids joined since last applied
	Left    []leftGroup `json:"left,omitempty"`
	// Fresh asks for the account to be read from Absorb rather than from the
	// local copy: re-applying on demand must see changes made in Absorb
	// since the last sync.
	Fresh bool `json:"fresh,omitempty"`
	// Gen counts the records of work, so finishing clears only the work it
	// saw, never what arrived meanwhile.
	Gen uint64 `json:"gen"`
}

type leftGroup struct {
	DisplayName string `json:"displayName"`
	ExternalID  string `json:"externalId,omitempty"`
}

// ruleEngine applies group rules in the background, one user at a time,
// through the same rate-limited Absorb client as everything else, so a push
// of thousands of members cannot trip Absorb's limit nor hold the IdP's
// request open.
type ruleEngine struct {
	b     *Bridge
	rules []Rule

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []string
	queued   map[string]bool
	busy     int // users being applied, or waiting to be retried after a failure
	closed   bool
	courses  map[string]string // lower name or id -> course id
	stats    RuleStats
	problems ruleProblems

	// batching: the upload is known to update existing accounts, so the
	// queue is worked up to MaxUploadBatch users at a time and their
	// department changes go in one upload (rulebatch.go).
	batching bool
	// uploadChecked: an upload's answer has been read back once since
	// start, and the portal did what the answer said.
	uploadChecked bool
}

// RuleStats counts what the rules did.
type RuleStats struct {
	// DepartmentChanges counts every department the rules set, however
	// sent; DepartmentChangesByUpload those of them sent in an upload.
	DepartmentChanges         int `json:"departmentChanges"`
	DepartmentChangesByUpload int `json:"departmentChangesByUpload"`
	// UploadCalls counts the uploads that carried department changes.
	UploadCalls   int `json:"uploadCalls"`
	Enrollments   int `json:"enrollments"`
	Unenrollments int `json:"unenrollments"`
	Failures      int `json:"failures"`
	// Pending is how many users have rule work queued or in hand: it falls
	// to zero when the rules have caught up.
	Pending int `json:"pending"`
}

func newRuleEngine(b *Bridge, rules []Rule) *ruleEngine {
	e := &ruleEngine{b: b, rules: rules, queued: map[string]bool{}}
	e.cond = sync.NewCond(&e.mu)
	return e
}

func (e *ruleEngine) active() bool { return e != nil && len(e.rules) > 0 }

// recordWrite records, in the transaction of a group write, the rule work
// the write gives its members: the joins and leaves of ch, and with a rename
// every member leaving the group under its old name and joining it under the
// new one. It returns the users to queue once the transaction commits. The
// work is saved with the membership it follows from, never after it: a
// bridge killed between the two would keep the new membership with no work
// pending, and the IdP's retry of the write, finding the members already
// there, would change nothing, so the enrollment would never be made.
func (e *ruleEngine) recordWrite(tx storage.Tx, groupID string, ch membershipChange, renamed bool) ([]string, error) {
	if !e.active() {
		return nil, nil
	}
	var users []string
	if len(ch.added) > 0 || len(ch.removed) > 0 {
		var g storage.Group
		if ch.before != nil {
			g = *ch.before // members left the group as it was
		} else {
			var err error
			if g, err = tx.Group(groupID); err != nil {
				return nil, err
			}
		}
		if err := recordTx(tx, ch.added, func(s *ruleState) { s.Joined = appendUnique(s.Joined, groupID) }); err != nil {
			return nil, err
		}
		if err := recordTx(tx, ch.removed, func(s *ruleState) {
			s.Left = append(s.Left, leftGroup{DisplayName: g.DisplayName, ExternalID: g.ExternalID})
		}); err != nil {
			return nil, err
		}
		users = append(append(users, ch.added...), ch.removed...)
	}
	if renamed && ch.before != nil {
		before := *ch.before
		var members []string
		err := tx.ForEachMember(groupID, func(m storage.Member) (bool, error) {
			members = append(members, m.UserID)
			return true, nil
		})
		if err != nil {
			return nil, err
		}
		err = recordTx(tx, members, func(s *ruleState) {
			s.Left = append(s.Left, leftGroup{DisplayName: before.DisplayName, ExternalID: before.ExternalID})
			s.Joined = appendUnique(s.Joined, groupID)
		})
		if err != nil {
			return nil, err
		}
		users = append(users, members...)
	}
	return users, nil
}

// recordDelete records, in the transaction that deletes g, that every
// former member has left it; like recordWrite, it returns the users to
// queue once the transaction commits.
func (e *ruleEngine) recordDelete(tx storage.Tx, g storage.Group, members []string) ([]string, error) {
	if !e.active() {
		return nil, nil
	}
	err := recordTx(tx, members, func(s *ruleState) {
		s.Left = append(s.Left, leftGroup{DisplayName: g.DisplayName, ExternalID: g.ExternalID})
	})
	if err != nil {
		return nil, err
	}
	return members, nil
}

// record marks users as pending in storage, then queues them.
func (e *ruleEngine) record(users []string, change func(*ruleState)) {
	if len(users) == 0 {
		return
	}
	err := e.b.store.Update(func(tx storage.Tx) error { return recordTx(tx, users, change) })
	if err != nil {
		e.b.log.Error("record group rule work", "error", err)
	}
	e.enqueue(users...)
}

// recordTx marks users as pending in tx, with change applied to each one's
// work.
func recordTx(tx storage.Tx, users []string, change func(*ruleState)) error {
	for _, id := range users {
		st, err := loadRuleState(tx, id)
		if err != nil {
			return err
		}
		st.Pending = true
		st.Gen++
		change(&st)
		if err := saveRuleState(tx, id, st); err != nil {
			return err
		}
	}
	return nil
}

func loadRuleState(tx storage.Tx, userID string) (ruleState, error) {
	var st ruleState
	raw, err := tx.RuleState(userID)
	if err != nil || len(raw) == 0 {
		return st, err
	}
	err = json.Unmarshal(raw, &st)
	return st, err
}

func saveRuleState(tx storage.Tx, userID string, st ruleState) error {
	if !st.Pending {
		return tx.PutRuleState(userID, nil)
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return tx.PutRuleState(userID, raw)
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func (e *ruleEngine) enqueue(users ...string) {
	if len(users) == 0 {
		return // also when the rules are off, e nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, u := range users {
		if !e.queued[u] {
			e.queued[u] = true
			e.queue = append(e.queue, u)
		}
	}
	e.cond.Broadcast()
}

// run works the queue until ctx ends: one user at a time, or, when the
// upload is known to update existing accounts, up to MaxUploadBatch users
// whose department changes share one upload. It may run again after that
// (a replica that lost the worker lease and later takes it back).
func (e *ruleEngine) run(ctx context.Context) {
	e.mu.Lock()
	e.closed = false
	e.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		e.mu.Lock()
		e.closed = true
		e.cond.Broadcast()
		e.mu.Unlock()
	})
	defer stop()
	for {
		e.mu.Lock()
		for len(e.queue) == 0 && !e.closed {
			e.cond.Wait()
		}
		if e.closed {
			e.mu.Unlock()
			return
		}
		n := 1
		if e.batching {
			n = min(len(e.queue), absorbapi.MaxUploadBatch)
		}
		users := slices.Clone(e.queue[:n])
		e.queue = e.queue[n:]
		for _, u := range users {
			delete(e.queued, u)
		}
		e.busy += n
		batching := e.batching
		e.mu.Unlock()

		var failed map[string]error
		if batching {
			failed = e.applyBatch(ctx, users)
		} else if err := e.applyUser(ctx, users[0]); err != nil {
			failed = map[string]error{users[0]: err}
		}

		e.mu.Lock()
		e.busy -= n - len(failed)
		e.stats.Failures += len(failed)
		e.cond.Broadcast()
		e.mu.Unlock()
		if len(failed) == 0 {
			continue
		}
		// A failed user stays busy until it is queued again, so wait does
		// not report the rules idle while its work is still to do.
		retry := make([]string, 0, len(failed))
		for _, u := range users {
			if err, ok := failed[u]; ok {
				retry = append(retry, u)
				e.b.log.Warn("group rules: will retry", "user", u, "error", err)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
			e.enqueue(retry...)
		}
		e.mu.Lock()
		e.busy -= len(retry)
		e.cond.Broadcast()
		e.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// wait blocks until the queue is empty and idle, or ctx ends. Work that
// fails is retried until it succeeds, so wait also waits for the retries.
func (e *ruleEngine) wait(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		e.mu.Lock()
		e.cond.Broadcast()
		e.mu.Unlock()
	})
	defer stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.queue) > 0 || e.busy > 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.closed {
			return errors.New("group rules: the bridge is stopping; pending work resumes at the next start")
		}
		e.cond.Wait()
	}
	return nil
}

// ruleWork is one user's rule work in hand: what the store held when it
// was read, and the department change planned for it.
type ruleWork struct {
	id     string
	st     ruleState
	rec    storage.User
	groups []storage.Group
	gone   bool // deleted, or an administrator's account: nothing to write

	res     scimdoc.Resource
	local   *storage.AbsorbUser
	account absorbapi.User // the account as the bridge knows it
	want    string         // the department the user should have
	change  bool           // want differs from the account's department
}

// loadWork reads a user's pending rule work, its record and its groups.
func (e *ruleEngine) loadWork(tx storage.Tx, userID string) (*ruleWork, error) {
	w := &ruleWork{id: userID}
	var err error
	if w.st, err = loadRuleState(tx, userID); err != nil {
		return nil, err
	}
	if w.rec, err = tx.User(userID); errors.Is(err, storage.ErrNotFound) {
		w.gone = true
		return w, nil
	} else if err != nil {
		return nil, err
	}
	w.groups, err = groupsOf(tx, userID)
	return w, err
}

// spare reports whether the rules must leave w's account alone: an
// administrator's account is never written (protect.go), and the rules
// leave it as it is rather than retry for ever.
func (e *ruleEngine) spare(w *ruleWork) bool {
	if !w.gone && e.b.protectedLink(w.rec.AbsorbID) {
		e.b.log.Warn("group rules: the account is an Absorb administrator's; left as it is", "user", w.id, "absorbId", w.rec.AbsorbID)
		w.gone = true
	}
	return w.gone
}

// applyUser brings one user's Absorb department and enrollments in line
// with its groups, then clears its pending work.
func (e *ruleEngine) applyUser(ctx context.Context, userID string) error {
	var w *ruleWork
	err := e.b.store.View(func(tx storage.Tx) error {
		var err error
		w, err = e.loadWork(tx, userID)
		return err
	})
	if err != nil {
		return err
	}
	if !e.spare(w) {
		if err := e.applyDepartment(ctx, w); err != nil {
			return err
		}
	}
	if !w.gone {
		if err := e.applyCourses(ctx, w.rec, w.st, w.groups); err != nil {
			return err
		}
	}
	return e.b.store.Update(func(tx storage.Tx) error { return finishWork(tx, w) })
}

// finishWork clears the pending work w was read with, unless more arrived
// meanwhile: that is queued and keeps the state.
func finishWork(tx storage.Tx, w *ruleWork) error {
	cur, err := loadRuleState(tx, w.id)
	if err != nil {
		return err
	}
	if cur.Gen != w.st.Gen {
		return nil
	}
	return saveRuleState(tx, w.id, ruleState{})
}

// groupsOf returns the groups of a user; none when the user does not exist.
func groupsOf(tx storage.Tx, userID string) ([]storage.Group, error) {
	ids, err := tx.GroupsOfUser(userID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]storage.Group, 0, len(ids))
	for _, id := range ids {
		g, err := tx.Group(id)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// ruleDepartment is the department the rules give a user, "" for none: the
// first rule in declared order that has a department and matches one of the
// user's groups.
func (e *ruleEngine) ruleDepartment(groups []storage.Group) string {
	for _, r := range e.rules {
		if r.Department == "" {
			continue
		}
		for _, g := range groups {
			if r.matches(g.DisplayName, g.ExternalID) {
				return r.Department
			}
		}
	}
	return ""
}

// departmentOf returns the rule department of a user, "" when no rule gives one.
func (e *ruleEngine) departmentOf(userID string) (string, error) {
	if !e.active() || userID == "" {
		return "", nil
	}
	var groups []storage.Group
	err := e.b.store.View(func(tx storage.Tx) error {
		var err error
		groups, err = groupsOf(tx, userID)
		return err
	})
	if err != nil {
		return "", err
	}
	return e.ruleDepartment(groups), nil
}

// ownsDepartment reports whether the rules have a say in w's department:
// a rule gives it one, or the user just left a group (whose rule may have
// given the department it has).
func (e *ruleEngine) ownsDepartment(w *ruleWork) bool {
	return e.ruleDepartment(w.groups) != "" || len(w.st.Left) > 0
}

// applyDepartment sets one user's department with a PUT when it differs
// from what the rules (or, after leaving the last department group, the
// user's own attributes) give.
func (e *ruleEngine) applyDepartment(ctx context.Context, w *ruleWork) error {
	if !e.ownsDepartment(w) {
		return nil // no rule owns this user's department, and none just let go of it
	}
	unlock, err := e.b.locks.Lock(ctx, "user:"+w.id)
	if err != nil {
		return err
	}
	defer unlock()
	if err := e.planDepartment(ctx, w); err != nil || w.want == "" {
		return err
	}
	if w.st.Fresh {
		fresh, err := e.b.absorb.GetUser(ctx, w.rec.AbsorbID)
		if err != nil {
			return upstreamError("get absorb user", err)
		}
		w.account = *fresh
	} else if err := e.readAccount(ctx, w); err != nil {
		return err
	}
	if e.b.protected(w.account) {
		// It became an administrator's since the local copy was made: left
		// as it is, as spare leaves one the copy knows.
		e.b.log.Warn("group rules: the account is an Absorb administrator's; left as it is", "user", w.id, "absorbId", w.account.ID)
		w.gone = true
		return nil
	}
	w.change = w.want != "" && w.want != w.account.DepartmentID
	if !w.change {
		return nil
	}
	return e.putDepartment(ctx, w)
}

// planDepartment reads w's record and local copy of its account and works
// out the department it should have (w.want, "" to keep what it has). The
// caller holds the user's lock and reads the account (readAccount) before
// it compares.
func (e *ruleEngine) planDepartment(ctx context.Context, w *ruleWork) error {
	rec, res, local, err := e.b.loadUserWithCopy(w.id)
	if err != nil {
		return err
	}
	w.rec, w.res, w.local = rec, res, local
	// The groups were read with the work: a membership change since then
	// queues the user again. A rule department that resolves is the answer
	// without reading the groups once more.
	if byRule := e.ruleDepartment(w.groups); byRule != "" {
		if id, err := e.b.depts.resolve(ctx, byRule); err == nil {
			w.want = id
			return nil
		}
	}
	// With a rule whose department does not resolve, departmentFor says so
	// and falls back; after leaving the last department group it is what
	// the user's own attributes map to.
	want, err := e.b.departmentFor(ctx, rec.ID, res.Doc, "")
	if se, ok := scimdoc.AsError(err); ok && se.Status == http.StatusBadRequest {
		return nil // the user's attributes name no department and there is no default: keep it
	}
	if err != nil {
		return err
	}
	w.want = want
	return nil
}

// readAccount sets w.account from the local copy, or from Absorb when
// there is none.
func (e *ruleEngine) readAccount(ctx context.Context, w *ruleWork) error {
	account, err := e.b.currentAccount(ctx, w.rec.AbsorbID, w.local)
	if err != nil {
		return err
	}
	w.account = account
	return nil
}

// putDepartment sends w's department change with a PUT and saves what
// Absorb then holds with the change's audit record. The caller holds the
// user's lock.
func (e *ruleEngine) putDepartment(ctx context.Context, w *ruleWork) error {
	account := w.account
	account.DepartmentID = w.want
	saved, audit, err := e.b.sendUser(ctx, w.rec.ID, e.b.localAccount(account.ID), account)
	if err != nil {
		e.b.writeAudit(audit)
		return upstreamError("set department", err)
	}
	mirror, err := mirrorRecord(saved)
	if err != nil {
		e.b.writeAudit(audit)
		return err
	}
	err = e.b.store.Update(func(tx storage.Tx) error {
		if err := tx.PutAbsorbUser(mirror); err != nil {
			return err
		}
		_, err := tx.AppendAudit(audit)
		return err
	})
	if err != nil {
		e.b.writeAudit(audit)
		return err
	}
	e.mu.Lock()
	e.stats.DepartmentChanges++
	e.mu.Unlock()
	e.b.log.Info("group rules: department set", "user", w.rec.ID, "department", w.want)
	return nil
}

// coursesOf lists the course references the rules give a set of groups.
func (e *ruleEngine) coursesOf(groups []storage.Group) map[string]bool {
	out := map[string]bool{}
	for _, r := range e.rules {
		for _, g := range groups {
			if r.matches(g.DisplayName, g.ExternalID) {
				for _, c := range r.Courses {
					out[c] = true
				}
			}
		}
	}
	return out
}

// applyCourses enrolls a user in every course its groups give and, for the
// groups it left whose rule unenrolls, unenrolls it from their courses that
// no current group still gives. Courses are compared by their resolved ids,
// so one rule may name a course by id and another by name.
func (e *ruleEngine) applyCourses(ctx context.Context, rec storage.User, st ruleState, groups []storage.Group) error {
	wantRefs := e.coursesOf(groups) // enroll in every course current groups give
	var drop []string
	for _, l := range st.Left {
		for _, r := range e.rules {
			if r.UnenrollOnLeave && r.matches(l.DisplayName, l.ExternalID) {
				drop = append(drop, r.Courses...)
			}
		}
	}
	if len(wantRefs) == 0 && len(drop) == 0 {
		return nil
	}
	want := make(map[string]bool, len(wantRefs)) // course ids
	for ref := range wantRefs {
		courseID, err := e.courseID(ctx, ref)
		if err != nil {
			return err
		}
		if courseID == "" {
			e.b.log.Warn("group rules: no such course", "course", ref)
			e.noteUnresolved("course", ref)
			continue
		}
		want[courseID] = true
	}
	enrolled, err := e.b.absorb.ListUserEnrollments(ctx, rec.AbsorbID)
	if err != nil {
		return upstreamError("list enrollments", err)
	}
	have := map[string]string{} // course id -> enrollment id
	for _, en := range enrolled {
		have[en.CourseID] = en.ID
	}
	for courseID := range want {
		if _, ok := have[courseID]; ok {
			continue
		}
		audit, err := e.b.enroll(ctx, rec.AbsorbID, courseID)
		e.b.writeAudit(audit)
		if err != nil {
			return upstreamError("enroll user", err)
		}
		have[courseID] = "new"
		e.mu.Lock()
		e.stats.Enrollments++
		e.mu.Unlock()
	}
	var unenroll []string
	for _, ref := range drop {
		courseID, err := e.courseID(ctx, ref)
		if err != nil {
			return err
		}
		if id, ok := have[courseID]; ok && id != "new" && !want[courseID] && !slices.Contains(unenroll, id) {
			unenroll = append(unenroll, id)
		}
	}
	if len(unenroll) > 0 {
		// The record names the user: Absorb's call names only enrollments.
		audit, err := e.b.unenroll(ctx, rec.ID, unenroll)
		e.b.writeAudit(audit)
		if err != nil {
			return upstreamError("unenroll user", err)
		}
		e.mu.Lock()
		e.stats.Unenrollments += len(unenroll)
		e.mu.Unlock()
	}
	return nil
}

// courseID resolves a course reference (id or name, case-insensitive).
func (e *ruleEngine) courseID(ctx context.Context, ref string) (string, error) {
	key := strings.ToLower(strings.TrimSpace(ref))
	e.mu.Lock()
	cached := e.courses
	e.mu.Unlock()
	if cached == nil || cached[key] == "" {
		courses, err := e.b.absorb.ListCourses(ctx)
		if err != nil {
			return "", upstreamError("list courses", err)
		}
		m := make(map[string]string, 2*len(courses))
		for _, c := range courses {
			m[strings.ToLower(c.ID)] = c.ID
			m[strings.ToLower(c.Name)] = c.ID
			if c.ExternalID != "" {
				m[strings.ToLower(c.ExternalID)] = c.ID
			}
		}
		e.mu.Lock()
		e.courses = m
		e.mu.Unlock()
		cached = m
	}
	return cached[key], nil
}

// resume queues every user with unfinished rule work (after a restart).
func (e *ruleEngine) resume() error {
	if !e.active() {
		return nil
	}
	var pending []string
	err := e.b.store.View(func(tx storage.Tx) error {
		return tx.ForEachRuleState(func(userID string, raw json.RawMessage) (bool, error) {
			pending = append(pending, userID)
			return true, nil
		})
	})
	if err != nil {
		return fmt.Errorf("resume group rules: %w", err)
	}
	e.enqueue(pending...)
	return nil
}

// ReapplyReport says what re-applying the rules changed.
type ReapplyReport struct {
	Users int `json:"users"`
	RuleStats
	// Problems names each rule reference that resolved to nothing in Absorb
	// during the run (a department or course), each also counted in Failures.
	Problems []string `json:"problems"`
}

// ReapplyRules re-evaluates every user's groups against the rules and brings
// Absorb in line, reporting what it changed.
func (b *Bridge) ReapplyRules(ctx context.Context) (ReapplyReport, error) {
	rep := ReapplyReport{Problems: []string{}}
	if !b.rules.active() {
		return rep, nil
	}
	before, beforeProblems := b.RuleStats(), b.rules.problemCounts()
	var users []string
	err := b.store.View(func(tx storage.Tx) error {
		return tx.ForEachUser("", func(u storage.User) (bool, error) {
			users = append(users, u.ID)
			return true, nil
		})
	})
	if err != nil {
		return rep, err
	}
	b.rules.record(users, func(s *ruleState) { s.Fresh = true })
	if err := b.rules.wait(ctx); err != nil {
		return rep, err
	}
	after := b.RuleStats()
	rep.Users = len(users)
	rep.DepartmentChanges = after.DepartmentChanges - before.DepartmentChanges
	rep.DepartmentChangesByUpload = after.DepartmentChangesByUpload - before.DepartmentChangesByUpload
	rep.UploadCalls = after.UploadCalls - before.UploadCalls
	rep.Pending = after.Pending
	rep.Enrollments = after.Enrollments - before.Enrollments
	rep.Unenrollments = after.Unenrollments - before.Unenrollments
	rep.Failures = after.Failures - before.Failures
	rep.Problems = b.rules.problemsSince(beforeProblems)
	return rep, nil
}

// RuleStats returns the running totals of what the rules did.
func (b *Bridge) RuleStats() RuleStats {
	if b.rules == nil {
		return RuleStats{}
	}
	b.rules.mu.Lock()
	defer b.rules.mu.Unlock()
	s := b.rules.stats
	s.Pending = len(b.rules.queue) + b.rules.busy
	return s
}

// WaitRules blocks until the rules have no queued work, or ctx ends.
func (b *Bridge) WaitRules(ctx context.Context) error {
	if !b.rules.active() {
		return nil
	}
	return b.rules.wait(ctx)
}

// patternMatches reports whether s matches the rule pattern glob; an empty
// pattern matches everything. Rules are validated at start, so a pattern
// that does not compile here matches nothing.
func patternMatches(glob, s string) bool {
	if glob == "" {
		return true
	}
	p, err := compileRulePattern(glob)
	return err == nil && p.match(s)
}

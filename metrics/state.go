package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SyncState is what the metrics report of the sync with Absorb.
type SyncState struct {
	MirrorComplete bool      // the first full load of Absorb's users finished
	LastSuccess    time.Time // zero when no pass has succeeded yet
	Failing        bool      // the last pass failed
	Folded         int       // SCIM users changed by edits made in Absorb, since start
	Skipped        int       // Absorb accounts the sync cannot store, since start
}

// StoreCounts is what the metrics report of storage.
type StoreCounts struct {
	Users       int // SCIM users, each mapped to one Absorb account
	AbsorbUsers int // Absorb accounts in the local copy
	Groups      int
	Memberships int
	Intents     int // user creates in flight

	Commits       int64         // shared write transactions committed since start
	BatchedWrites int64         // writes those transactions carried
	CommitTime    time.Duration // time spent running and committing them
}

// RuleCounts are the running totals of what the group rules did, and
// how much work they have left.
type RuleCounts struct {
	DepartmentChanges         int // however sent
	DepartmentChangesByUpload int // of them, sent in POST /users/upload
	UploadCalls               int // uploads that carried department changes
	Enrollments               int
	Unenrollments             int
	Failures                  int
	Pending                   int // users with rule work queued or in hand
}

// Sources are read at scrape time; a nil field is not reported.
type Sources struct {
	Sync  func() SyncState
	Store func() StoreCounts
	Rules func() RuleCounts
}

// Watch registers a collector that reads src at every scrape. It returns the
// registration error when called twice.
func (m *Metrics) Watch(src Sources) error {
	return m.reg.Register(&stateCollector{src: src, now: m.now, d: newStateDescs()})
}

// stateDescs are the descriptions of the metrics read at scrape time.
type stateDescs struct {
	lastSync, syncLag, mirrorComplete, syncFailing, folded  *prometheus.Desc
	skipped                                                 *prometheus.Desc
	users, absorbUsers, groups, memberships, intents, rules *prometheus.Desc
	commits, batchedWrites, commitTime                      *prometheus.Desc
	rulePending, ruleDepartments, ruleUploads               *prometheus.Desc
}

func newStateDescs() stateDescs {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
	}
	return stateDescs{
		lastSync:        d("sync_last_success_timestamp_seconds", "Unix time of the last successful sync pass with Absorb (absent before the first)."),
		syncLag:         d("sync_lag_seconds", "Seconds since the last successful sync pass with Absorb (absent before the first)."),
		mirrorComplete:  d("sync_mirror_complete", "1 once the first full load of Absorb's users has finished."),
		syncFailing:     d("sync_failing", "1 when the last sync pass with Absorb failed."),
		folded:          d("sync_folded_users_total", "SCIM users changed by edits made directly in Absorb, since start."),
		skipped:         d("sync_skipped_accounts_total", "Absorb accounts the sync left out of its local copy because it cannot store them (a value too long to index), since start; each is logged once."),
		users:           d("users", "SCIM users held, each mapped to one Absorb account."),
		absorbUsers:     d("absorb_users", "Absorb accounts in the bridge's local copy of Absorb."),
		groups:          d("groups", "SCIM groups held."),
		memberships:     d("group_memberships", "Group memberships held."),
		intents:         d("pending_creates", "User creates recorded but not finished."),
		rules:           d("rule_actions_total", "What the group rules did in Absorb since start, by action.", "action"),
		rulePending:     d("rule_queue_pending", "Users whose group-rule work (a department, enrollments) is queued or in hand; 0 when the rules have caught up."),
		ruleDepartments: d("rule_department_changes_total", "Departments the group rules set in Absorb since start, by how they were sent: upload (up to 200 users per POST /users/upload) or put (one PUT per user).", "method"),
		ruleUploads:     d("rule_upload_calls_total", "POST /users/upload calls the group rules made to change departments, since start."),
		commits:         d("store_batch_commits_total", "Write transactions that concurrent writes shared (group commit), since start."),
		batchedWrites:   d("store_batched_writes_total", "Writes committed in shared transactions, since start; divided by the commits, how many shared each."),
		commitTime:      d("store_batch_commit_seconds_total", "Time spent running and committing the shared transactions (fsync included), since start."),
	}
}

// stateCollector reports the sync, storage and rules state at scrape time.
type stateCollector struct {
	src Sources
	now func() time.Time
	d   stateDescs
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	d := c.d
	for _, desc := range []*prometheus.Desc{d.lastSync, d.syncLag, d.mirrorComplete, d.syncFailing,
		d.folded, d.skipped, d.users, d.absorbUsers, d.groups, d.memberships, d.intents, d.rules, d.commits, d.batchedWrites, d.commitTime,
		d.rulePending, d.ruleDepartments, d.ruleUploads} {
		ch <- desc
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	if c.src.Sync != nil {
		s := c.src.Sync()
		if !s.LastSuccess.IsZero() {
			gauge(c.d.lastSync, float64(s.LastSuccess.UnixNano())/1e9)
			gauge(c.d.syncLag, max(0, c.now().Sub(s.LastSuccess).Seconds()))
		}
		gauge(c.d.mirrorComplete, boolValue(s.MirrorComplete))
		gauge(c.d.syncFailing, boolValue(s.Failing))
		counter(c.d.folded, float64(s.Folded))
		counter(c.d.skipped, float64(s.Skipped))
	}
	if c.src.Store != nil {
		s := c.src.Store()
		gauge(c.d.users, float64(s.Users))
		gauge(c.d.absorbUsers, float64(s.AbsorbUsers))
		gauge(c.d.groups, float64(s.Groups))
		gauge(c.d.memberships, float64(s.Memberships))
		gauge(c.d.intents, float64(s.Intents))
		counter(c.d.commits, float64(s.Commits))
		counter(c.d.batchedWrites, float64(s.BatchedWrites))
		counter(c.d.commitTime, s.CommitTime.Seconds())
	}
	if c.src.Rules != nil {
		r := c.src.Rules()
		counter(c.d.rules, float64(r.DepartmentChanges), "department")
		counter(c.d.rules, float64(r.Enrollments), "enroll")
		counter(c.d.rules, float64(r.Unenrollments), "unenroll")
		counter(c.d.rules, float64(r.Failures), "failure")
		gauge(c.d.rulePending, float64(r.Pending))
		counter(c.d.ruleDepartments, float64(r.DepartmentChangesByUpload), "upload")
		counter(c.d.ruleDepartments, float64(r.DepartmentChanges-r.DepartmentChangesByUpload), "put")
		counter(c.d.ruleUploads, float64(r.UploadCalls))
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

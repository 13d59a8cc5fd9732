// Package bridge holds the use cases of the SCIM bridge: create, replace,
// patch, deactivate, delete and adopt users, groups and their rules, and the
// sync that keeps the local copy of Absorb true. Each use case lives in one
// place and owns its write from start to end: the HTTP layer only decodes
// and renders, and this package admits the write (the Governor), applies
// it (a PATCH too, with the resource schemas it shares with the HTTP layer),
// maps it, sends it to Absorb and commits it.
//
// The steps in send.go are the only places the bridge writes to Absorb.
// Each returns the write's audit record as a value, which the use case
// commits in the storage transaction that saves the change, and the user
// writes note the account in the write log that keeps a sync pass from
// undoing them.
package bridge

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// Absorb is what the bridge needs of the Absorb Integration API client.
type Absorb interface {
	GetUser(ctx context.Context, id string) (*absorbapi.User, error)
	FindUserByUsername(ctx context.Context, username string) (*absorbapi.User, error)
	FindUserByExternalID(ctx context.Context, externalID string) (*absorbapi.User, error)
	CreateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error)
	UpdateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error)
	UploadUsers(ctx context.Context, users []absorbapi.User) ([]absorbapi.UploadResult, error)
	GetDepartment(ctx context.Context, id string) (*absorbapi.Department, error)
	FindDepartmentByName(ctx context.Context, name string) (*absorbapi.Department, error)
	FindDepartmentByExternalID(ctx context.Context, externalID string) (*absorbapi.Department, error)
	ListCourses(ctx context.Context) ([]absorbapi.Course, error)
	EnrollUser(ctx context.Context, userID, courseID string) (*absorbapi.Enrollment, error)
	ListUserEnrollments(ctx context.Context, userID string) ([]absorbapi.Enrollment, error)
	UnenrollUser(ctx context.Context, enrollmentIDs []string) error
	ScanUsers(ctx context.Context, filter string, fn func(absorbapi.User) error) error
	ListLanguages(ctx context.Context) ([]absorbapi.Language, error)
}

var _ Absorb = (*absorbapi.Client)(nil)

// Config configures a Bridge.
type Config struct {
	// Absorb is the Absorb client. One that has a DryRun method reporting
	// true (NewDryRunAbsorb) sends nothing, and its writes are audited with
	// OutcomeDryRun.
	Absorb Absorb
	Store  storage.Store
	Mapper *mapping.Mapper
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID makes SCIM ids; nil means random UUIDs.
	NewID func() string
	// DepartmentCacheTTL is how long a resolved department name or external
	// id is trusted; default 10 minutes.
	DepartmentCacheTTL time.Duration
	// Rules are the group rules, in priority order; none means groups are
	// stored and served but change nothing in Absorb.
	Rules []Rule
	// SyncInterval is how often changes made directly in Absorb are folded
	// in; default one minute.
	SyncInterval time.Duration
	// AuditRetention is how long audit records are kept; Run deletes older
	// ones every hour. Zero keeps every record.
	AuditRetention time.Duration
	// CountUsers, when set, says how many accounts Absorb holds, so the
	// first full sync can estimate the time it has left.
	CountUsers func(ctx context.Context) (int, error)
	// DeactivationLimit is the brake on mass deactivation (holds.go); the
	// zero value turns it off.
	DeactivationLimit DeactivationLimit
	// Governor admits the user writes of SCIM requests (create, replace,
	// patch, delete, bulk uploads); nil admits every one.
	Governor *Governor
	// AbandonedCreateAfter is how old an unfinished create must be before
	// the pass after each sync resolves it (abandoned.go); zero means
	// DefaultAbandonedCreateAfter.
	AbandonedCreateAfter time.Duration
	// AdminUsername is the Absorb username the bridge logs in as
	// (absorb.username). That account is never adopted or written, even
	// where Absorb does not report it as an administrator (protect.go).
	AdminUsername string
	// MaxFilterScan is the most users a list of users reads to answer a
	// filter no index narrows enough (limits.maxFilterScan); beyond it the
	// list is refused with 400 tooMany. Zero means DefaultMaxFilterScan.
	MaxFilterScan int
	// PendingRescan, when positive, is how often Run reads the group
	// rules' pending work from the store again, to take up the work that
	// other processes sharing the store recorded; zero means never (this
	// process records all of it itself).
	PendingRescan time.Duration
	// SharedStore says other processes write the same store (replicas). A
	// sync pass then also leaves alone a user whose stored record changed
	// after the pass started, since this process's log of its own writes
	// does not know theirs, and the brake on mass deactivation reads the
	// holds through the store, which the other processes add to too.
	SharedStore bool
	// Locks, if not nil, serialises the writes of one user or group with
	// those of the other processes sharing the store; nil means this
	// process is the only writer, and its own locks suffice.
	Locks Locker
	// CreateBehaviour is what is known of how the portal answers POST /users
	// for a username or externalId an account already holds: "strict" (it
	// refuses), "upsert" (it updates that account), or "unknown" or "" (not
	// known). Unless it is "strict", a create the local copy knows no
	// account for looks the username and externalId up in Absorb before it
	// posts, so an account made since the last sync is checked as a known
	// one would be rather than updated by the create (upsert.go).
	CreateBehaviour string
	// UploadBehaviour is what is known of what POST /users/upload does to
	// an existing account it names: "update" (it writes it, as doctor's
	// write test found or absorb.behaviour.upload pins), "keep" (it leaves
	// it), or "unknown" or "" (not known). Only under "update" do the group
	// rules change departments up to 200 users per upload (rulebatch.go);
	// otherwise they send one PUT per user.
	UploadBehaviour string
}

// Bridge carries out SCIM operations on Absorb and keeps the bridge's state.
type Bridge struct {
	absorb  Absorb
	store   storage.Store
	mapper  *mapping.Mapper
	log     *slog.Logger
	now     func() time.Time
	newID   func() string
	users   *scimdoc.ResourceSchema
	groups  *scimdoc.ResourceSchema
	locks   *writeLocks
	depts   *departmentCache
	langs   *portalLanguages
	mirrorC mirrorState
	rules   *ruleEngine
	syncer  *syncer
	wrote   *writeLog // when the bridge's own user writes finished
	brake   *brake    // the brake on mass deactivation and its holds
	gov     *Governor
	walk    *walkCache // cursors and totals of user lists (userwalk.go)
	dryRun  bool       // the client sends nothing: audit outcomes are OutcomeDryRun

	adminUsername string        // the bridge's own Absorb admin, never written (protect.go)
	abandonAfter  time.Duration // when an unfinished create is resolved (abandoned.go)
	// createMayUpsert: the portal is not known to refuse a create of a
	// taken username, so a create asks Absorb before it posts (upsert.go).
	createMayUpsert bool
	// uploadUpdates: POST /users/upload is known to write the existing
	// accounts it names, so updates may travel in one (rulebatch.go,
	// bulk.go). The rules turn it off when an upload's answer proves false.
	uploadUpdates atomic.Bool

	auditRetention time.Duration
	pendingRescan  time.Duration
	sharedStore    bool
	countUsers     func(ctx context.Context) (int, error)
	maxFilterScan  int
}

// New returns a Bridge. It fails when a required dependency is missing.
func New(cfg Config) (*Bridge, error) {
	if cfg.Absorb == nil || cfg.Store == nil || cfg.Mapper == nil {
		return nil, fmt.Errorf("bridge: Absorb, Store and Mapper are required")
	}
	b := &Bridge{
		absorb: cfg.Absorb,
		locks:  &writeLocks{shared: cfg.Locks},
		wrote:  &writeLog{},
		gov:    cfg.Governor,
		store:  cfg.Store,
		mapper: cfg.Mapper,
		log:    cfg.Logger,
		now:    cfg.Now,
		newID:  cfg.NewID,

		auditRetention: cfg.AuditRetention,
		pendingRescan:  cfg.PendingRescan,
		sharedStore:    cfg.SharedStore,
		countUsers:     cfg.CountUsers,
		adminUsername:  cfg.AdminUsername,
		abandonAfter:   cfg.AbandonedCreateAfter,
		users:          scimdoc.NewResourceSchema(schemas.User(), schemas.EnterpriseUser(), schemas.AbsorbUser()).WithLimits(userLimits),
		groups:         scimdoc.NewResourceSchema(schemas.Group()).WithLimits(groupLimits),
		maxFilterScan:  cfg.MaxFilterScan,
		walk:           newWalkCache(),

		createMayUpsert: cfg.CreateBehaviour != CreateStrict,
	}
	if d, ok := cfg.Absorb.(interface{ DryRun() bool }); ok {
		b.dryRun = d.DryRun()
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.newID == nil {
		b.newID = newUUID
	}
	if b.abandonAfter <= 0 {
		b.abandonAfter = DefaultAbandonedCreateAfter
	}
	if b.maxFilterScan <= 0 {
		b.maxFilterScan = DefaultMaxFilterScan
	}
	ttl := cfg.DepartmentCacheTTL
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	b.depts = newDepartmentCache(cfg.Absorb, ttl, b.now)
	b.langs = &portalLanguages{absorb: cfg.Absorb, mapper: cfg.Mapper, now: b.now, log: b.log}
	var err error
	if b.brake, err = loadBrake(cfg.Store, cfg.DeactivationLimit, cfg.SharedStore); err != nil {
		return nil, err
	}
	if err := ValidateRules(cfg.Rules); err != nil {
		return nil, err
	}
	b.rules = newRuleEngine(b, cfg.Rules)
	b.uploadUpdates.Store(cfg.UploadBehaviour == UploadUpdates)
	b.rules.batching = b.uploadUpdates.Load()
	// Queue the work an earlier run left pending now, so WaitRules waits for
	// it however soon it is called after Run starts.
	if err := b.rules.resume(); err != nil {
		return nil, err
	}
	interval := cfg.SyncInterval
	if interval <= 0 {
		interval = time.Minute
	}
	b.syncer = newSyncer(b, interval)
	if err := b.syncer.loadState(); err != nil {
		return nil, err
	}
	return b, nil
}

// UserSchema is the resource schema of users (core, enterprise, Absorb).
func (b *Bridge) UserSchema() *scimdoc.ResourceSchema { return b.users }

// GroupSchema is the resource schema of groups.
func (b *Bridge) GroupSchema() *scimdoc.ResourceSchema { return b.groups }

// newUUID returns a version 7 UUID (RFC 9562): the current Unix time in
// milliseconds, then 74 random bits. Ids made one after another sort one
// after another, so the store adds each new user at the end of its users
// bucket, where pages fill up, rather than somewhere in the middle.
func newUUID() string { return uuidAt(time.Now()) }

// uuidAt is newUUID at time now.
func uuidAt(now time.Time) string {
	var u [16]byte
	_, _ = rand.Read(u[6:]) // crypto/rand.Read never fails (Go 1.24+)
	ms := uint64(now.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Run does the bridge's background work until ctx ends: the sync that keeps
// the local copy of Absorb true, the group rules' queue, and the audit log's
// retention. Work left pending by an earlier run is resumed first. Run may
// be called again once an earlier call has returned.
func (b *Bridge) Run(ctx context.Context) error {
	if err := b.rules.resume(); err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Go(func() { b.rules.run(ctx) })
	if b.pendingRescan > 0 && b.rules.active() {
		wg.Go(func() { b.rescanPending(ctx) })
	}
	if b.auditRetention > 0 {
		wg.Go(func() { b.runAuditRetention(ctx) })
	}
	b.syncer.run(ctx)
	wg.Wait()
	return nil
}

// rescanPending queues, every pendingRescan until ctx ends, the group rule
// work recorded in the store: other processes that share the store record
// work there that only this one, running the background work, carries out.
func (b *Bridge) rescanPending(ctx context.Context) {
	t := time.NewTicker(b.pendingRescan)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := b.rules.resume(); err != nil {
			b.log.Warn("read pending group rule work", "error", err)
		}
	}
}

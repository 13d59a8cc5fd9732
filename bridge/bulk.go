package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// BulkOperation and BulkResult are the protocol model's (scimdoc), shared
// with the HTTP layer.
type (
	BulkOperation = scimdoc.BulkOperation
	BulkResult    = scimdoc.BulkResult
)

// resourceUser is BulkOperation.Resource for users.
const resourceUser = "User"

// Bulk carries out the operations of a bulk request in order (RFC 7644
// §3.7) and returns one result per operation carried out. Consecutive user
// POSTs, PUTs and PATCHes are coalesced: each is checked, mapped and has its
// department resolved as the single-user use case does, the creates are
// recorded as intents together, and the users are sent in
// POST /users/upload calls of up to 200; each upload's users are committed
// to storage in one transaction. Updates (and creates that adopt an
// existing account) go in the upload only where it is known to write the
// existing accounts it names (absorb.behaviour.upload: update); elsewhere
// each is sent with a PUT. A user Absorb leaves out of its answer
// fails alone (400 invalidValue), the others succeed. Groups, deletes and a
// PATCH that renames its user go through the single-resource use cases; a
// second write to a user (or userName) already in the run starts a new run,
// so it sees the first one's outcome. A create is checked before the
// upload as a single create is; an upload cannot be told to create only,
// so each id it answers a create with is then read back and checked as a
// single create's answer is (upsert.go): an account the bridge did not
// choose (one given the username by hand in Absorb since the last sync,
// an administrator's) is answered 409 and never linked. With
// maxErrors > 0, Bulk stops once that many operations failed; the results
// then end with the last operation of the upload in which that happened.
// Each upload, and each user write run alone, is admitted by the Governor
// like a single write; one refused fails with its 429.
func (b *Bridge) Bulk(ctx context.Context, ops []BulkOperation, maxErrors int) []BulkResult {
	results := make([]BulkResult, 0, len(ops))
	failures := 0
	for i := 0; i < len(ops); {
		if ctx.Err() != nil {
			break
		}
		var done []BulkResult
		if end := coalescible(ops, i); end > i {
			budget := 0
			if maxErrors > 0 {
				budget = maxErrors - failures
			}
			done = b.userBatch(ctx, ops[i:end], budget)
		}
		if len(done) == 0 {
			done = []BulkResult{b.runOne(ctx, ops[i])}
		}
		for _, r := range done {
			if r.Err != nil {
				failures++
			}
		}
		results = append(results, done...)
		i += len(done)
		if maxErrors > 0 && failures >= maxErrors {
			break
		}
	}
	return results
}

// runOne carries out one operation through the single-resource use cases.
func (b *Bridge) runOne(ctx context.Context, op BulkOperation) BulkResult {
	var r BulkResult
	switch op.Resource + " " + op.Method {
	case "User POST":
		r.Resource, r.Err = b.CreateUser(ctx, op.Doc)
	case "User PUT":
		r.Resource, r.Err = b.ReplaceUser(ctx, op.ID, op.Doc, op.Pre)
	case "User PATCH":
		if len(op.Patch) == 0 {
			r.Err = scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "the PATCH has no operations to apply")
			break
		}
		r.Resource, r.Err = b.PatchUser(ctx, op.ID, op.Pre, op.Patch)
	case "User DELETE":
		r.Err = b.DeleteUser(ctx, op.ID, op.Pre)
	case "Group POST":
		r.Resource, r.Err = b.CreateGroup(ctx, op.Doc)
	case "Group PUT":
		r.Resource, r.Err = b.ReplaceGroup(ctx, op.ID, op.Doc, op.Pre)
	case "Group PATCH":
		r.Resource, r.Err = b.PatchGroup(ctx, op.ID, op.Pre, op.Patch)
	case "Group DELETE":
		r.Err = b.DeleteGroup(ctx, op.ID, op.Pre)
	default:
		r.Err = scimdoc.BadRequest(scimdoc.TypeInvalidValue, "cannot %s a %q resource", op.Method, op.Resource)
	}
	return r
}

// coalescible returns the end of the run of user writes that starts at i
// and can go to Absorb together: POSTs, PUTs and PATCHes of users, each
// naming a user and a userName no earlier operation of the run names (a
// second write to the same user must see the first one's outcome). It
// returns i when ops[i] itself must run alone.
func coalescible(ops []BulkOperation, i int) int {
	seen := make(map[string]bool)
	j := i
	for ; j < len(ops); j++ {
		op := ops[j]
		if op.Resource != resourceUser {
			break
		}
		var keys []string
		switch op.Method {
		case http.MethodPost:
			keys = append(keys, "name:"+foldKey(stringAt(op.Doc, "userName")))
		case http.MethodPut:
			keys = append(keys, "id:"+op.ID, "name:"+foldKey(stringAt(op.Doc, "userName")))
		case http.MethodPatch:
			if len(op.Patch) == 0 {
				return j
			}
			keys = append(keys, "id:"+op.ID)
		default:
			return j
		}
		clash := false
		for _, k := range keys {
			clash = clash || seen[k]
		}
		if clash {
			break
		}
		for _, k := range keys {
			seen[k] = true
		}
	}
	return j
}

// bulkEntry is one user write of a coalesced batch on its way to Absorb.
type bulkEntry struct {
	op     BulkOperation
	create bool
	key    string // create intent key: the folded userName
	scimID string
	adopt  bool // a create that links an existing Absorb account
	doc    scimdoc.Document
	rec    storage.User // the user before an update
	u      absorbapi.User
	send   bool // Absorb must be written
	sent   bool // the upload carrying it was made
	saved  absorbapi.User
	audit  []storage.AuditRecord // the record of its upload, once sent
	err    error
	before map[string]string // an update's SCIM attributes before, for its audit record (trace.go)
	// unchanged: an update that leaves the user as stored, answered as it
	// is, with nothing sent or written (RFC 7644 §3.5.2)
	unchanged bool
}

// errRenameAlone ends a batch at a PATCH that renames its user: renaming
// takes the new userName's lock, which the batch does not hold.
var errRenameAlone = errors.New("rename must run alone")

// userBatch carries out a run of coalescible user writes (see Bulk) and
// returns the results of the leading operations it carried out: fewer than
// ops when budget (> 0) failures were reached or a PATCH turned out to
// rename its user, none when that PATCH is the first.
func (b *Bridge) userBatch(ctx context.Context, ops []BulkOperation, budget int) []BulkResult {
	unlock, err := b.lockBatch(ctx, ops)
	if err != nil {
		return nil // each operation then runs alone, and answers its own lock's error
	}
	defer unlock()

	entries := make([]*bulkEntry, 0, len(ops))
	failures := 0
	for _, op := range ops {
		e := b.prepareEntry(ctx, op)
		if errors.Is(e.err, errRenameAlone) {
			break
		}
		entries = append(entries, e)
		if e.err != nil {
			failures++
			if budget > 0 && failures >= budget {
				break
			}
		}
	}
	if len(entries) == 0 {
		return nil
	}
	b.checkUnseen(ctx, entries)
	if err := b.recordIntents(entries); err != nil {
		for _, e := range entries {
			if e.err == nil {
				e.err = err
			}
		}
		return resultsOf(entries)
	}

	// Segments of at most one upload each, committed one by one.
	processed := 0
	failures = 0
	for start := 0; start < len(entries); {
		end, uploads := start, 0
		for end < len(entries) && (uploads < absorbapi.MaxUploadBatch || !entries[end].sendable()) {
			if entries[end].sendable() {
				uploads++
			}
			end++
		}
		seg := entries[start:end]
		b.upload(ctx, seg)
		// Where the budget ran out, if it did; the segment's uploaded
		// operations after that point were carried out all the same.
		cut := len(seg)
		for i, e := range seg {
			if e.err != nil {
				failures++
				if budget > 0 && failures >= budget {
					cut = i + 1
					break
				}
			}
		}
		for i := cut; i < len(seg); i++ {
			if seg[i].sent {
				cut = i + 1
			}
		}
		b.commitEntries(ctx, seg[:cut])
		processed = start + cut
		if cut < len(seg) || (budget > 0 && failures >= budget) {
			break
		}
		start = end
	}
	b.dropIntents(entries, processed)
	return resultsOf(entries[:processed])
}

// sendable reports whether the entry is ready and must be written to Absorb.
func (e *bulkEntry) sendable() bool { return e.err == nil && e.send }

// lockBatch takes the locks the single-user use cases take for every
// operation of the run, in sorted order so that it cannot deadlock with
// them: they take "user:…" before "username:…", which sorts the same way.
func (b *Bridge) lockBatch(ctx context.Context, ops []BulkOperation) (unlock func(), err error) {
	set := make(map[string]bool)
	for _, op := range ops {
		if op.Method != http.MethodPost {
			set["user:"+op.ID] = true
		}
		if op.Method != http.MethodPatch {
			if name := foldKey(stringAt(op.Doc, "userName")); name != "" {
				set["username:"+name] = true
			}
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	return b.locks.LockAll(ctx, keys)
}

// prepareEntry does for one operation what the single-user use case does
// before it writes to Absorb: the checks, adoption and mapping. Its error,
// if any, is the operation's result; errRenameAlone sends it back to run
// alone.
func (b *Bridge) prepareEntry(ctx context.Context, op BulkOperation) *bulkEntry {
	e := &bulkEntry{op: op}
	if op.Method == http.MethodPost {
		e.create = true
		e.err = b.prepareCreate(ctx, e)
	} else {
		e.err = b.prepareUpdate(ctx, e)
	}
	return e
}

// prepareCreate is CreateUser up to the write: the userName must be free,
// an unfinished create keeps its SCIM id, and an existing account is
// adopted.
func (b *Bridge) prepareCreate(ctx context.Context, e *bulkEntry) error {
	doc := e.op.Doc
	userName, err := userNameOf(doc)
	if err != nil {
		return err
	}
	if b.isOwnUsername(userName) {
		return errAdministrator(userName)
	}
	e.key, e.doc, e.scimID = foldKey(userName), doc, b.newID()
	unfinished := false
	var linked storage.User
	err = b.store.View(func(tx storage.Tx) error {
		var err error
		if linked, err = tx.UserByUserName(userName); err == nil || !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		in, err := tx.Intent(e.key)
		switch {
		case err == nil:
			e.scimID, unfinished = in.SCIMID, true
			return nil
		case errors.Is(err, storage.ErrNotFound):
			return nil
		}
		return err
	})
	if err == nil && linked.ID != "" {
		return scimdoc.Errorf(http.StatusConflict, scimdoc.TypeUniqueness,
			"userName %q is already provisioned as user %s", userName, linked.ID)
	}
	if err != nil {
		return fmt.Errorf("create user %q: %w", userName, err)
	}
	account, err := b.findAccount(ctx, userName, unfinished)
	if err != nil {
		return err
	}
	if account != nil {
		if b.protected(*account) {
			return errAdministrator(userName)
		}
		if err := b.ensureUnlinked(account.ID, userName); err != nil {
			return err
		}
	}
	e.adopt = account != nil
	if e.u, err = b.absorbUserFor(ctx, "", doc, account); err != nil {
		return err
	}
	e.send = true
	return b.ensureExternalIDFree(ctx, e.u, account)
}

// prepareUpdate is updateUser up to the write: the user must exist and
// match the precondition, the new document is built, and Absorb is written
// only when something it holds changes.
func (b *Bridge) prepareUpdate(ctx context.Context, e *bulkEntry) error {
	id := e.op.ID
	rec, res, local, err := b.loadUserWithCopy(id)
	if err != nil {
		return err
	}
	if err := e.op.Pre.Check(res); err != nil {
		return err
	}
	replacement, ops := e.op.Doc, []scimdoc.Operation(nil)
	e.before = flatAttributes(withoutServerAttributes(res.Doc)) // for its audit record (trace.go)
	if e.op.Method == http.MethodPatch {
		replacement, ops = nil, e.op.Patch
	}
	doc, err := b.nextUserDoc(ctx, res.Doc, replacement, ops)
	if err != nil {
		return err
	}
	userName, err := userNameOf(doc)
	if err != nil {
		return err
	}
	if foldKey(userName) != foldKey(rec.UserName) {
		if e.op.Method == http.MethodPatch {
			return errRenameAlone
		}
		if err := b.ensureUserNameFree(userName, id); err != nil {
			return err
		}
	}
	account, err := b.currentAccount(ctx, rec.AbsorbID, local)
	if err != nil {
		return err
	}
	if b.protected(account) {
		return errAdministrator(account.Username)
	}
	if b.isOwnUsername(userName) {
		return errAdministrator(userName)
	}
	if unchanged(res.Doc, doc) {
		e.rec, e.doc, e.unchanged = rec, doc, true
		return nil
	}
	u, err := b.absorbUserFor(ctx, id, doc, &account)
	if err != nil {
		return err
	}
	// The brake on mass deactivation may keep the account active (holds.go).
	if u, err = b.holdUpdate(ctx, rec, res, account, u); err != nil {
		return err
	}
	e.rec, e.doc, e.u, e.saved = rec, doc, u, account
	e.send = len(mapping.Diff(account, u)) > 0 || u.Password != ""
	return nil
}

// checkUnseen asks Absorb, readBatch usernames at a time, for the accounts
// that hold the usernames of the creates that adopt nothing: the local
// copy does not know accounts made since the last sync, and an upload
// matching one by username would overwrite it, an administrator's
// included (its roles with it, so no read after could tell). Such an
// account is refused or adopted as prepareCreate does. When the look-up
// fails, the creates it was for fail with its error and are not sent.
func (b *Bridge) checkUnseen(ctx context.Context, entries []*bulkEntry) {
	var pending []*bulkEntry
	for _, e := range entries {
		if e.create && e.err == nil && !e.adopt {
			pending = append(pending, e)
		}
	}
	for start := 0; start < len(pending); start += readBatch {
		chunk := pending[start:min(start+readBatch, len(pending))]
		byName := make(map[string]*bulkEntry, len(chunk))
		terms := make([]string, len(chunk))
		for i, e := range chunk {
			byName[foldKey(e.u.Username)] = e
			terms[i] = absorbapi.Eq("username", e.u.Username)
		}
		var found []absorbapi.User
		err := b.absorb.ScanUsers(ctx, absorbapi.Or(terms...), func(u absorbapi.User) error {
			found = append(found, u)
			return nil
		})
		if err != nil {
			// Unchecked, a create is not sent: the upload could overwrite
			// an administrator's account.
			for _, e := range pending[start:] {
				e.err = upstreamError("look up the usernames of new users in absorb", err)
			}
			return
		}
		for _, account := range found {
			if e := byName[foldKey(account.Username)]; e != nil && !e.adopt && e.err == nil {
				e.err = b.adoptUnseen(ctx, e, account)
			}
		}
	}
}

// adoptUnseen is prepareCreate for an entry whose username account, unseen
// by the local copy, holds.
func (b *Bridge) adoptUnseen(ctx context.Context, e *bulkEntry, account absorbapi.User) error {
	userName := e.u.Username
	if b.protected(account) {
		return errAdministrator(userName)
	}
	if err := b.ensureUnlinked(account.ID, userName); err != nil {
		return err
	}
	u, err := b.absorbUserFor(ctx, "", e.doc, &account)
	if err != nil {
		return err
	}
	if err := b.ensureExternalIDFree(ctx, u, &account); err != nil {
		return err
	}
	e.u, e.adopt = u, true
	return nil
}

// recordIntents records the intent of every create of the batch in one
// transaction, before anything is sent: a crash or a retry then resolves
// each to the same SCIM id.
func (b *Bridge) recordIntents(entries []*bulkEntry) error {
	now := b.now()
	err := b.store.Update(func(tx storage.Tx) error {
		for _, e := range entries {
			if e.create && e.err == nil {
				if err := tx.PutIntent(storage.Intent{Key: e.key, SCIMID: e.scimID, Started: now}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record create intents: %w", err)
	}
	return nil
}

// dropIntents clears the intents of creates that Absorb surely did not
// apply: never sent (those from processed on, and refusals before the
// upload) or refused by Absorb. An upload whose outcome is unknown keeps
// its intents, as CreateUser does.
func (b *Bridge) dropIntents(entries []*bulkEntry, processed int) {
	var keys []string
	for i, e := range entries {
		if !e.create || e.key == "" {
			continue
		}
		switch {
		case i >= processed, !e.sent && e.err != nil, e.sent && e.err != nil && !retryable(e.err):
			keys = append(keys, e.key)
		}
	}
	if len(keys) == 0 {
		return
	}
	err := b.store.Update(func(tx storage.Tx) error {
		for _, k := range keys {
			if err := tx.DeleteIntent(k); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.log.Warn("bulk: could not clear create intents", "count", len(keys), "error", err)
	}
}

// upload sends the segment's users to Absorb in one POST /users/upload,
// once the Governor admits it, and records each user's outcome.
func (b *Bridge) upload(ctx context.Context, seg []*bulkEntry) {
	var (
		batch   []*bulkEntry
		users   []absorbapi.User
		scimIDs []string
	)
	for _, e := range seg {
		if e.sendable() && (!e.create || e.adopt) && !b.uploadUpdates.Load() {
			// An upload is not known to write the existing account it
			// names (absorb.behaviour.upload): one that answers it as
			// taken and leaves it would lose the update silently.
			b.putEntry(ctx, e)
			continue
		}
		if e.sendable() {
			batch = append(batch, e)
			users = append(users, e.u)
			id := e.op.ID
			if e.create {
				id = e.scimID
			}
			scimIDs = append(scimIDs, id)
		}
	}
	if len(batch) == 0 {
		return
	}
	release, err := b.admit(ctx)
	if err != nil {
		for _, e := range batch {
			e.err = err
		}
		return
	}
	started := b.now()
	results, audit, err := b.uploadUsers(ctx, users, scimIDs)
	release()
	var created []*bulkEntry
	for i, e := range batch {
		e.sent = true
		e.audit = audit[i : i+1 : i+1] // its own: the request's record is appended
		var r absorbapi.UploadResult
		if i < len(results) {
			r = results[i]
		} else {
			r.Err = err
		}
		switch {
		case r.OK && e.create && e.adopt && !strings.EqualFold(r.ID, e.u.ID):
			// The adopted account was sent by id: another id is an account
			// the bridge did not choose.
			e.err = errNotCreated(e.u.Username, fmt.Sprintf("the Absorb account %s, not the account %s it was sent to update", r.ID, e.u.ID))
			e.audit[0].Outcome = OutcomeWarning
			b.log.Warn("Absorb answered a bulk create with an account the bridge did not choose; not linked",
				"userName", e.u.Username, "absorbId", r.ID)
		case r.OK && e.create && !e.adopt:
			e.saved = merged(e.u, &absorbapi.User{ID: r.ID})
			created = append(created, e)
		case r.OK:
			e.saved = merged(e.u, &absorbapi.User{ID: r.ID})
		case r.Err != nil:
			e.err = uploadError(r.Err)
		default:
			e.err = uploadError(absorbapi.ErrUploadRejected)
		}
	}
	// An upload matches by username and may update an account instead of
	// creating one (upsert.go): each create's answer is checked as a single
	// create's is before it is linked.
	b.checkUploaded(ctx, created, started)
	b.log.Info("users uploaded to Absorb", "users", len(batch), "failed", countFailed(batch))
}

// putEntry sends the update (or adoption) of one entry with a PUT, once
// the Governor admits it, as the single-user use case does.
func (b *Bridge) putEntry(ctx context.Context, e *bulkEntry) {
	release, err := b.admit(ctx)
	if err != nil {
		e.err = err
		return
	}
	defer release()
	id := e.op.ID
	if e.create {
		id = e.scimID
	}
	saved, audit, err := b.sendUser(ctx, id, b.localAccount(e.u.ID), e.u)
	e.sent = true
	e.audit = []storage.AuditRecord{audit}
	if err != nil {
		e.err = upstreamError("update absorb user", err)
		return
	}
	e.saved = saved
}

// readBatch is how many accounts one read of the upload's answer asks
// for: one filtered GET /users per batch instead of one GET /users/{id}
// per account, with the filter kept well inside a URL's usual limits.
const readBatch = 50

// checkUploaded does checkCreated for the creates of one upload Absorb
// answered (entries, whose saved.ID is the answered id), reading the
// accounts back readBatch at a time. An id answered for two creates is no
// new account for either. An entry that fails the check gets its error
// and, when Absorb did not make a new account, a warning audit record.
func (b *Bridge) checkUploaded(ctx context.Context, entries []*bulkEntry, started time.Time) {
	if b.dryRun || len(entries) == 0 {
		return
	}
	answered := make(map[string]int, len(entries))
	for _, e := range entries {
		answered[e.saved.ID]++
	}
	var unread []*bulkEntry
	for _, e := range entries {
		id := e.saved.ID
		switch {
		case id == "":
		case answered[id] > 1:
			e.err = errNotCreated(e.u.Username, fmt.Sprintf("the Absorb account %s, which it also answered for another user of the same upload", id))
		default:
			if e.err = b.checkCreatedUnknown(e.u, id, started); e.err == nil {
				unread = append(unread, e)
			}
		}
	}
	ids := make([]string, len(unread))
	for i, e := range unread {
		ids[i] = e.saved.ID
	}
	accounts, err := b.readAccounts(ctx, ids)
	for _, e := range unread {
		got, visible := accounts[strings.ToLower(e.saved.ID)]
		switch {
		case err != nil:
			// Unknown whether the account is new: not linked, and the
			// intent stays for the retry.
			e.err = upstreamError("read the created absorb users", err)
		case !visible:
			e.err = errCreatedHidden(e.u.Username, e.saved.ID)
		default:
			e.err = b.checkCreatedAccount(e.u, got, started)
		}
	}
	for _, e := range entries {
		if _, refused := scimdoc.AsError(e.err); refused && !retryable(e.err) {
			e.audit[0].Outcome = OutcomeWarning
			b.log.Warn("Absorb answered a bulk create with an account the bridge did not choose; not linked",
				"userName", e.u.Username, "absorbId", e.saved.ID, "detail", e.err.Error())
		}
	}
}

// readAccounts reads the accounts ids name that the admin can see, keyed
// by id in lower case, readBatch ids per GET /users. A portal that refuses the filter
// is asked for each account by id instead.
func (b *Bridge) readAccounts(ctx context.Context, ids []string) (map[string]absorbapi.User, error) {
	accounts := make(map[string]absorbapi.User, len(ids))
	for start := 0; start < len(ids); start += readBatch {
		chunk := ids[start:min(start+readBatch, len(ids))]
		var terms []string
		for _, id := range chunk {
			if !isGUID(id) {
				terms = nil // not a literal the filter can carry
				break
			}
			terms = append(terms, "id eq guid'"+id+"'")
		}
		err := errors.New("ids the filter cannot carry")
		if len(terms) > 0 {
			err = b.absorb.ScanUsers(ctx, absorbapi.Or(terms...), func(u absorbapi.User) error {
				accounts[strings.ToLower(u.ID)] = u
				return nil
			})
		}
		var refused *absorbapi.ValidationError
		if err == nil {
			continue
		}
		if len(terms) > 0 && !errors.As(err, &refused) {
			return nil, err
		}
		for _, id := range chunk {
			u, err := b.absorb.GetUser(ctx, id)
			switch {
			case absorbapi.IsNotFound(err):
			case err != nil:
				return nil, err
			default:
				accounts[strings.ToLower(id)] = *u
			}
		}
	}
	return accounts, nil
}

// isGUID reports whether id is written as a GUID (hex digits and dashes),
// so that it can stand in a guid'…' literal.
func isGUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, r := range id {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case r >= '0' && r <= '9', r >= 'a' && r <= 'f', r >= 'A' && r <= 'F':
		default:
			return false
		}
	}
	return true
}

func countFailed(entries []*bulkEntry) int {
	n := 0
	for _, e := range entries {
		if e.err != nil {
			n++
		}
	}
	return n
}

// uploadError is the SCIM error for a user an upload did not take.
func uploadError(err error) error {
	if errors.Is(err, absorbapi.ErrUploadRejected) {
		return &scimdoc.Error{Status: http.StatusBadRequest, ScimType: scimdoc.TypeInvalidValue,
			Detail: "Absorb did not take this user in its batch upload and gives no reason: check the department, " +
				"email addresses and custom fields, and that the username is not held by an account outside the " +
				"bridge's admin's department scope; a single POST /Users shows Absorb's own message",
			Err: err}
	}
	return upstreamError("upload absorb users", err)
}

// commitEntries writes the records of the entries that succeeded: the SCIM
// user, Absorb's copy, the end of the create intent and the audit records
// of its upload and of the IdP's request, all in one transaction. When that transaction fails on a
// uniqueness conflict, each entry is committed alone so only the
// conflicting ones fail. The audit records of the entries that fail are
// appended on their own.
func (b *Bridge) commitEntries(ctx context.Context, entries []*bulkEntry) {
	now := b.now()
	var ok []*bulkEntry
	defer func() {
		var failed []storage.AuditRecord
		for _, e := range entries {
			if e.err != nil {
				failed = append(failed, e.audit...)
			}
		}
		b.writeAudit(failed...)
	}()
	for _, e := range entries {
		if e.err != nil || e.unchanged {
			continue
		}
		if e.create {
			if !e.adopt {
				// The upload matched by username: a hand-made account the
				// local copy had not seen may have been taken over.
				if err := b.ensureUnlinked(e.saved.ID, e.u.Username); err != nil {
					e.err = err
					continue
				}
			}
			e.rec, e.err = userRecord(e.scimID, e.saved.ID, e.doc, now, now, 1)
		} else {
			e.rec, e.err = userRecord(e.op.ID, e.rec.AbsorbID, e.doc, e.rec.Created, now, e.rec.Version+1)
		}
		if e.err == nil {
			e.audit = append(e.audit, b.bulkRequestRecord(ctx, e)) // trace.go
			ok = append(ok, e)
		}
	}
	if len(ok) == 0 {
		return
	}
	commits := make([]userCommit, 0, len(ok))
	var err error
	for _, e := range ok {
		var c userCommit
		if c, err = b.prepareCommit(e.rec, e.saved, e.intent(), e.audit); err != nil {
			break
		}
		commits = append(commits, c)
	}
	if err == nil {
		err = b.store.Update(func(tx storage.Tx) error {
			for _, c := range commits {
				if err := c.save(tx); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err == nil {
		return
	}
	if !errors.Is(err, storage.ErrConflict) {
		for _, e := range ok {
			e.err = fmt.Errorf("save user %s: %w", e.rec.ID, err)
		}
		return
	}
	for _, e := range ok {
		// commitUser appends the audit record itself even when it fails.
		audit := e.audit
		e.audit = nil
		e.err = b.commitUser(e.rec, e.saved, e.intent(), audit)
	}
}

// intent is the key of the create intent the entry's commit ends, "" when
// it is not a create.
func (e *bulkEntry) intent() string {
	if e.create {
		return e.key
	}
	return ""
}

// resultsOf turns entries into bulk results; a committed user is returned
// as stored, without its read-only "groups".
func resultsOf(entries []*bulkEntry) []BulkResult {
	out := make([]BulkResult, len(entries))
	for i, e := range entries {
		if e.err != nil {
			out[i].Err = e.err
			continue
		}
		doc := withoutServerAttributes(e.doc)
		doc["id"] = e.rec.ID
		out[i].Resource = scimdoc.Resource{ID: e.rec.ID, Doc: doc, Created: e.rec.Created,
			LastModified: e.rec.LastModified, Version: e.rec.Version}
	}
	return out
}

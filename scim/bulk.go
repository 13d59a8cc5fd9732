package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// Defaults of the bulk limits (RFC 7644 §3.7.4) for the zero values of
// Options.
const (
	DefaultMaxBulkOperations = 1000
	DefaultMaxBulkBodyBytes  = 8 << 20
)

// bulkIDPrefix starts a reference to the resource another operation of the
// same bulk request creates (RFC 7644 §3.7.2).
const bulkIDPrefix = "bulkId:"

// BulkOperation and BulkResult are the protocol model's (scimdoc).
type (
	BulkOperation = scimdoc.BulkOperation
	BulkResult    = scimdoc.BulkResult
)

// BulkBackend carries out the operations of bulk requests (RFC 7644 §3.7).
type BulkBackend interface {
	// Bulk carries out ops, which hold no bulkId references to one another,
	// in order, and returns one result per operation carried out, in the
	// same order. It may coalesce operations (many user writes in one
	// upstream call) as long as the outcome is the one running them one by
	// one would give (RFC 7644 §3.7). When maxErrors > 0 it stops once that
	// many operations failed: results end with the operation that reached
	// the count, or with the last operation carried out together with it,
	// and the operations after are not carried out.
	Bulk(ctx context.Context, ops []BulkOperation, maxErrors int) []BulkResult
}

// bulkRequest is the BulkRequest message (RFC 7644 §3.7). Member names
// match case-insensitively.
type bulkRequest struct {
	Schemas      []string          `json:"schemas"`
	FailOnErrors *int              `json:"failOnErrors"`
	Operations   []json.RawMessage `json:"Operations"`
}

// bulkOpJSON is one entry of a BulkRequest's Operations.
type bulkOpJSON struct {
	Method  *string         `json:"method"`
	BulkID  *string         `json:"bulkId"`
	Version *string         `json:"version"`
	Path    *string         `json:"path"`
	Data    json.RawMessage `json:"data"`
}

// bulkResponseOp is one entry of a BulkResponse's Operations; status is a
// string, as in RFC 7644 §3.7.3's examples.
type bulkResponseOp struct {
	Location string     `json:"location,omitempty"`
	Method   string     `json:"method"`
	BulkID   string     `json:"bulkId,omitempty"`
	Version  string     `json:"version,omitempty"`
	Status   string     `json:"status"`
	Response *errorBody `json:"response,omitempty"`
}

type bulkResponse struct {
	Schemas    []string         `json:"schemas"`
	Operations []bulkResponseOp `json:"Operations"`
}

// bulkOp is the server's view of one operation while a request runs.
type bulkOp struct {
	index   int
	method  string // upper case; "" when the operation could not be read
	bulkID  string
	version string
	kind    *resourceKind
	id      string // target id as sent, possibly "bulkId:…"
	data    json.RawMessage
	refs    []string // bulkIds referenced from id and data
	bad     error    // why the operation cannot run, found while reading it

	done     bool
	reported bool
	result   BulkResult
	location string
}

// bulk answers POST /Bulk (RFC 7644 §3.7) with 200 and a BulkResponse
// holding the result of every operation processed. Operations run in
// dependency order of their bulkId references, in request order otherwise;
// a reference that cannot be resolved, because it names no operation of the
// request, the operation that names it failed, or the references are
// circular (RFC 7644 §3.7.1), fails that operation with 409 invalidValue.
// failOnErrors stops processing after that many failures (RFC 7644 §3.7.3).
// A body over MaxBulkBodyBytes or more than MaxBulkOperations operations is
// a 413 naming the limit (RFC 7644 §3.7.4); without a BulkBackend the
// answer is 501.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request) error {
	if s.bulkBackend == nil {
		return notImplemented("bulk")
	}
	body, err := s.readBulkBody(w, r)
	if err != nil {
		return err
	}
	ops, failOnErrors, err := s.decodeBulk(body)
	if err != nil {
		return err
	}
	s.runBulk(r.Context(), ops, failOnErrors)
	writeJSON(w, http.StatusOK, s.bulkAnswer(r, ops))
	return nil
}

// readBulkBody reads a /Bulk body of at most MaxBulkBodyBytes. Errors: those
// of readBody, the 413 naming maxPayloadSize.
func (s *Server) readBulkBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBulkBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, scimdoc.Errorf(http.StatusRequestEntityTooLarge, "",
				"the size of the bulk request exceeds the maxPayloadSize (%d bytes)", tooBig.Limit)
		}
		return nil, bodyReadError(err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "the request body is empty; a BulkRequest is required")
	}
	return body, nil
}

// decodeBulk reads a BulkRequest. Errors concern the whole request: 400
// invalidSyntax for JSON that is not a BulkRequest, 400 invalidValue for a
// negative failOnErrors or a bulkId used by two POSTs, and 413 for more
// operations than MaxBulkOperations. Problems of one operation are kept in
// that operation and reported in its result.
func (s *Server) decodeBulk(body []byte) ([]*bulkOp, int, error) {
	if err := checkJSON(body); err != nil {
		return nil, 0, err
	}
	var req bulkRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, 0, scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "the request body is not a BulkRequest: %s", jsonShape(err))
	}
	found := false
	for _, sc := range req.Schemas {
		found = found || strings.EqualFold(strings.TrimSpace(sc), schemas.BulkRequestURN)
	}
	if !found {
		return nil, 0, scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "request \"schemas\" must contain %q", schemas.BulkRequestURN)
	}
	if req.Operations == nil {
		return nil, 0, scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "the BulkRequest has no \"Operations\"")
	}
	if len(req.Operations) > s.maxBulkOps {
		return nil, 0, scimdoc.Errorf(http.StatusRequestEntityTooLarge, scimdoc.TypeTooMany,
			"the bulk request has %d operations, more than the maxOperations (%d)", len(req.Operations), s.maxBulkOps)
	}
	failOnErrors := 0
	if req.FailOnErrors != nil {
		if *req.FailOnErrors < 0 {
			return nil, 0, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "failOnErrors must not be negative")
		}
		failOnErrors = *req.FailOnErrors
	}
	ops := make([]*bulkOp, len(req.Operations))
	defined := make(map[string]int)
	for i, raw := range req.Operations {
		op := s.decodeBulkOp(i, raw)
		ops[i] = op
		if op.method != http.MethodPost || op.bulkID == "" {
			continue
		}
		if j, dup := defined[op.bulkID]; dup {
			return nil, 0, scimdoc.BadRequest(scimdoc.TypeInvalidValue,
				"bulkId %q is used by operations %d and %d; bulkIds must be unique within a bulk request", op.bulkID, j+1, i+1)
		}
		defined[op.bulkID] = i
	}
	return ops, failOnErrors, nil
}

// jsonShape describes a decoding error of the request's envelope.
func jsonShape(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("member %q is %s, expected %s", te.Field, te.Value, te.Type)
	}
	return "expected a JSON object"
}

// decodeBulkOp reads one operation; what is wrong with it is kept in bad.
func (s *Server) decodeBulkOp(i int, raw json.RawMessage) *bulkOp {
	op := &bulkOp{index: i}
	var in bulkOpJSON
	if err := json.Unmarshal(raw, &in); err != nil || string(raw) == "null" {
		op.bad = scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "operation %d is not an object with method, path, bulkId, version and data", i+1)
		return op
	}
	if in.BulkID != nil {
		op.bulkID = *in.BulkID
	}
	if in.Version != nil {
		op.version = *in.Version
	}
	if in.Method == nil {
		op.bad = scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "operation %d has no \"method\"", i+1)
		return op
	}
	op.method = strings.ToUpper(strings.TrimSpace(*in.Method))
	switch op.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		op.bad = scimdoc.BadRequest(scimdoc.TypeInvalidValue, "operation %d: method %q is not POST, PUT, PATCH or DELETE", i+1, clipText(*in.Method))
		op.method = clipText(*in.Method)
		return op
	}
	if in.Path == nil {
		op.bad = scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "operation %d has no \"path\"", i+1)
		return op
	}
	kind, id, err := s.bulkPath(*in.Path)
	if err != nil {
		op.bad = scimdoc.BadRequest(scimdoc.TypeInvalidValue, "operation %d: %s", i+1, err)
		return op
	}
	op.kind, op.id = kind, id
	switch {
	case op.method == http.MethodPost && id != "":
		op.bad = scimdoc.BadRequest(scimdoc.TypeInvalidValue, "operation %d: a POST path names a resource endpoint such as /Users, not a resource", i+1)
	case op.method != http.MethodPost && id == "":
		op.bad = scimdoc.BadRequest(scimdoc.TypeInvalidValue, "operation %d: a %s path names one resource, such as /Users/{id}", i+1, op.method)
	case op.method == http.MethodPost && strings.TrimSpace(op.bulkID) == "":
		op.bad = scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "operation %d: a POST needs a \"bulkId\"", i+1)
	case op.method != http.MethodDelete && (len(in.Data) == 0 || string(in.Data) == "null"):
		op.bad = scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "operation %d: a %s needs \"data\"", i+1, op.method)
	}
	if op.bad != nil {
		return op
	}
	op.data = in.Data
	if ref, ok := strings.CutPrefix(id, bulkIDPrefix); ok {
		op.refs = append(op.refs, ref)
	}
	if op.method != http.MethodDelete && bytes.Contains(in.Data, []byte(bulkIDPrefix)) {
		var v any
		if err := json.Unmarshal(in.Data, &v); err == nil {
			op.refs = collectRefs(op.method, v, op.refs)
		}
	}
	return op
}

// bulkPath splits an operation's path, "/Users" or "/Groups/{id}", into
// the resource kind and the (unescaped) id.
func (s *Server) bulkPath(p string) (*resourceKind, string, error) {
	p = strings.TrimSpace(p)
	rest, ok := strings.CutPrefix(p, "/")
	if !ok {
		return nil, "", fmt.Errorf("path %q does not start with /", clipText(p))
	}
	endpoint, id, _ := strings.Cut(rest, "/")
	var kind *resourceKind
	for _, k := range []*resourceKind{s.user, s.group} {
		if strings.EqualFold(endpoint, k.endpoint) {
			kind = k
		}
	}
	if kind == nil {
		return nil, "", fmt.Errorf("path %q names no resource endpoint; use /Users or /Groups", clipText(p))
	}
	if id == "" {
		return kind, "", nil
	}
	unescaped, err := url.PathUnescape(id)
	if err != nil || strings.Contains(unescaped, "/") {
		return nil, "", fmt.Errorf("path %q does not name one resource", clipText(p))
	}
	return kind, unescaped, nil
}

// A bulkId reference ("bulkId:…") is only honoured where RFC 7644 §3.7.2
// puts one: in an operation's path, and in the "value" (or "$ref") of a
// reference attribute, a group's members or a user's manager. The same
// string anywhere else, a title say, is data and is stored as sent.

// collectRefs appends the bulkIds that the reference positions of an
// operation's data (method's body, decoded) name.
func collectRefs(method string, data any, refs []string) []string {
	visitRefs(method, data, func(s string) string {
		if ref, ok := strings.CutPrefix(s, bulkIDPrefix); ok {
			refs = append(refs, ref)
		}
		return s
	})
	return refs
}

// replaceRefs returns data with every bulkId reference replaced by the id
// created for it.
func replaceRefs(method string, data any, created map[string]string) any {
	return visitRefs(method, data, func(s string) string {
		if ref, ok := strings.CutPrefix(s, bulkIDPrefix); ok {
			if id, ok := created[ref]; ok {
				return id
			}
		}
		return s
	})
}

// visitRefs calls fn on each string in a reference position of data, the
// body of a POST or PUT (a resource) or of a PATCH (a PatchOp), and stores
// what fn returns in its place.
func visitRefs(method string, data any, fn func(string) string) any {
	if method != http.MethodPatch {
		return visitResourceRefs(data, fn)
	}
	body, ok := data.(map[string]any)
	if !ok {
		return data
	}
	ops, _ := scimdoc.Lookup(body, "Operations").([]any)
	for _, o := range ops {
		op, ok := o.(map[string]any)
		if !ok {
			continue
		}
		key, ok := scimdoc.LookupKey(op, "value")
		if !ok {
			continue
		}
		value := op[key]
		path, _ := scimdoc.Lookup(op, "path").(string)
		if path == "" {
			op[key] = visitResourceRefs(value, fn)
			continue
		}
		attr, sub := refPathAttr(path)
		if !isRefAttr(attr) {
			continue
		}
		if s, ok := value.(string); ok && (strings.EqualFold(sub, "value") || sub == "$ref") {
			op[key] = fn(s)
			continue
		}
		op[key] = visitRefValue(value, fn)
	}
	return data
}

// visitResourceRefs visits the reference attributes of a resource, in its
// core schema and in its extensions.
func visitResourceRefs(v any, fn func(string) string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for k, e := range m {
		if isRefAttr(k) {
			m[k] = visitRefValue(e, fn)
		} else if sub, ok := e.(map[string]any); ok {
			m[k] = visitResourceRefs(sub, fn)
		}
	}
	return m
}

// visitRefValue visits the "value" and "$ref" of a reference attribute's
// value or values.
func visitRefValue(v any, fn func(string) string) any {
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			t[i] = visitRefValue(e, fn)
		}
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && (strings.EqualFold(k, "value") || k == "$ref") {
				t[k] = fn(s)
			}
		}
	}
	return v
}

// isRefAttr reports whether an attribute name, bare or URN-qualified, is a
// reference attribute that may carry a bulkId.
func isRefAttr(name string) bool {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return strings.EqualFold(name, "members") || strings.EqualFold(name, "manager")
}

// refPathAttr splits a PATCH path into its attribute and sub-attribute:
// "members[value eq \"x\"].value" gives members and value,
// "urn:…:User:manager.value" gives manager and value.
func refPathAttr(path string) (attr, sub string) {
	head, filterTail, hasFilter := strings.Cut(path, "[")
	if i := strings.LastIndexByte(head, ':'); i >= 0 {
		head = head[i+1:]
	}
	attr, sub, _ = strings.Cut(head, ".")
	if hasFilter {
		if _, after, ok := strings.Cut(filterTail, "]"); ok {
			sub = strings.TrimPrefix(after, ".")
		}
	}
	return attr, sub
}

// clipText shortens a client's value quoted in a detail.
func clipText(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// runBulk carries out the operations: in rounds, each holding the pending
// operations whose references are all settled, in request order; within a
// round, consecutive runnable operations go to the backend together. What is
// still pending when no round can start is circular.
func (s *Server) runBulk(ctx context.Context, ops []*bulkOp, failOnErrors int) {
	defined := make(map[string]*bulkOp)
	for _, op := range ops {
		if _, dup := defined[op.bulkID]; !dup && op.method == http.MethodPost && op.bulkID != "" {
			defined[op.bulkID] = op
		}
	}
	created := make(map[string]string)
	failures := 0
	limitReached := func() bool { return failOnErrors > 0 && failures >= failOnErrors }
	record := func(op *bulkOp, res BulkResult) {
		op.done, op.reported, op.result = true, true, res
		if res.Err != nil {
			failures++
			return
		}
		if op.method == http.MethodPost {
			created[op.bulkID] = res.Resource.ID
		}
	}
	settled := func(op *bulkOp) bool {
		for _, ref := range op.refs {
			if def, ok := defined[ref]; ok && !def.done {
				return false
			}
		}
		return true
	}

	stopped := false
	for !stopped {
		var round []*bulkOp
		for _, op := range ops {
			if !op.done && settled(op) {
				round = append(round, op)
			}
		}
		if len(round) == 0 {
			break
		}
		var batch []*bulkOp
		var in []BulkOperation
		flush := func() {
			if len(batch) == 0 {
				return
			}
			budget := 0
			if failOnErrors > 0 {
				budget = failOnErrors - failures
			}
			results := s.bulkBackend.Bulk(ctx, in, budget)
			for i, op := range batch {
				if i < len(results) {
					record(op, results[i])
					continue
				}
				op.done = true // not carried out, not reported
				stopped = true
			}
			batch, in = batch[:0], in[:0]
			if limitReached() {
				stopped = true
			}
		}
		for _, op := range round {
			if stopped {
				op.done = true
				continue
			}
			bo, err := s.prepareBulkOp(op, defined, created)
			if err != nil {
				flush()
				if stopped {
					op.done = true
					continue
				}
				record(op, BulkResult{Err: err})
				stopped = limitReached()
				continue
			}
			batch = append(batch, op)
			in = append(in, bo)
		}
		flush()
	}
	for _, op := range ops {
		if op.done {
			continue
		}
		op.done = true
		if stopped || limitReached() {
			continue
		}
		record(op, BulkResult{Err: scimdoc.Errorf(http.StatusConflict, scimdoc.TypeInvalidValue,
			"operation %d: its bulkId references are circular, or depend on a circular reference, and cannot be resolved", op.index+1)})
	}
}

// prepareBulkOp resolves an operation's bulkId references and decodes its
// data as the single-resource endpoint would. Errors: the operation's own
// problem found while reading it, 409 invalidValue for a reference that
// cannot be resolved, and the 400s of reading a resource or a PATCH.
func (s *Server) prepareBulkOp(op *bulkOp, defined map[string]*bulkOp, created map[string]string) (BulkOperation, error) {
	if op.bad != nil {
		return BulkOperation{}, op.bad
	}
	for _, ref := range op.refs {
		if _, ok := created[ref]; ok {
			continue
		}
		if _, ok := defined[ref]; ok {
			return BulkOperation{}, scimdoc.Errorf(http.StatusConflict, scimdoc.TypeInvalidValue,
				"operation %d: bulkId %q cannot be resolved: the operation that creates it failed", op.index+1, ref)
		}
		return BulkOperation{}, scimdoc.Errorf(http.StatusConflict, scimdoc.TypeInvalidValue,
			"operation %d: bulkId %q cannot be resolved: no POST of this request has it", op.index+1, ref)
	}
	id := op.id
	if ref, ok := strings.CutPrefix(id, bulkIDPrefix); ok {
		id = created[ref]
	}
	if id != "" {
		op.location = s.location(op.kind, id)
	}
	bo := BulkOperation{Method: op.method, BulkID: op.bulkID, Resource: op.kind.name, ID: id,
		Pre: scimdoc.Precondition{IfMatch: op.version}}
	data := op.data
	if len(op.refs) > 0 && data != nil {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return bo, syntaxError(data, err)
		}
		b, err := json.Marshal(replaceRefs(op.method, v, created))
		if err != nil {
			return bo, fmt.Errorf("encode operation %d: %w", op.index+1, err)
		}
		data = b
	}
	switch op.method {
	case http.MethodPost, http.MethodPut:
		doc, err := s.decodeResource(op.kind, data)
		if err != nil {
			return bo, err
		}
		bo.Doc = doc
	case http.MethodPatch:
		if err := checkJSON(data); err != nil {
			return bo, err
		}
		patch, err := scimdoc.DecodePatch(data, s.maxPatchOps)
		if err != nil {
			return bo, asClientError(err)
		}
		bo.Patch = patch
	}
	return bo, nil
}

// decodeResource is readResource for a body already read.
func (s *Server) decodeResource(k *resourceKind, body []byte) (scimdoc.Document, error) {
	doc, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	if err := k.checkSchemas(doc); err != nil {
		return nil, err
	}
	if !k.hasRequired(doc) {
		return nil, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "%s is required", k.required)
	}
	doc, err = scimdoc.Normalize(k.rs, doc)
	if err != nil {
		return nil, asClientError(err)
	}
	return doc, nil
}

// bulkAnswer builds the BulkResponse from the operations processed, in
// request order, and logs their failures.
func (s *Server) bulkAnswer(r *http.Request, ops []*bulkOp) bulkResponse {
	out := bulkResponse{Schemas: []string{schemas.BulkResponseURN}, Operations: []bulkResponseOp{}}
	for _, op := range ops {
		if !op.reported {
			continue
		}
		ro := bulkResponseOp{Method: op.method, BulkID: op.bulkID}
		if err := op.result.Err; err != nil {
			status, body, retry := classify(err)
			if retry > 0 {
				body.Detail += fmt.Sprintf(" (retry after %d seconds)", retryAfterSeconds(retry))
			}
			ro.Status, ro.Response, ro.Location = body.Status, &body, op.location
			failureLogger{s.log}.log(r, "scim bulk operation", status, retry, err, "operation", op.index+1, "operationMethod", op.method)
			out.Operations = append(out.Operations, ro)
			continue
		}
		res := op.result.Resource
		switch op.method {
		case http.MethodPost:
			ro.Status = strconv.Itoa(http.StatusCreated)
			ro.Location = s.location(op.kind, res.ID)
		case http.MethodDelete:
			ro.Status = strconv.Itoa(http.StatusNoContent)
			ro.Location = op.location
		default:
			ro.Status = strconv.Itoa(http.StatusOK)
			ro.Location = op.location
		}
		if op.method != http.MethodDelete {
			ro.Version = res.ETag()
		}
		out.Operations = append(out.Operations, ro)
	}
	return out
}

// bulkLimit is a bulk limit as /ServiceProviderConfig reports it: zero when
// bulk is not supported.
func (s *Server) bulkLimit(n int) int {
	if s.bulkBackend == nil {
		return 0
	}
	return n
}

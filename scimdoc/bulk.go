package scimdoc

// BulkOperation is one operation of a bulk request (RFC 7644 §3.7), decoded
// and with its bulkId references resolved: what the HTTP layer hands the use
// cases.
type BulkOperation struct {
	// Method is POST, PUT, PATCH or DELETE.
	Method string
	// BulkID is the client's transient id of the resource a POST creates.
	BulkID string
	// Resource is "User" or "Group".
	Resource string
	// ID is the target of a PUT, PATCH or DELETE.
	ID string
	// Doc is the normalised resource of a POST or PUT, as the
	// single-resource create and replace receive it.
	Doc Document
	// Patch holds the decoded operations of a PATCH.
	Patch []Operation
	// Pre is the operation's "version", as If-Match (RFC 7644 §3.14).
	Pre Precondition
}

// BulkResult is the outcome of one BulkOperation: the resource written (ID
// and version at least; nothing for a DELETE), or the error, as the
// single-resource use cases return them.
type BulkResult struct {
	Resource Resource
	Err      error
}

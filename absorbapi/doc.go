// Package absorbapi is a typed client for Absorb LMS's Integration API (the
// regional gateways https://rest.myabsorb.com, .ca, .eu, .com.au and their
// rest.sandbox.* twins), modelled on google/go-github: NewRequest builds a
// request for a route pattern, Do sends it, and the typed methods (GetUser,
// ListUsers, ScanUsers, CreateUser, UpdateUser, UploadUsers, SetActive,
// departments, groups, courses, enrollments) are thin wrappers over the two.
//
// # Usage
//
//	c, err := absorbapi.New(absorbapi.Config{
//		BaseURL:    "us", // or "eu-sandbox", or a full URL
//		PrivateKey: key,
//		Username:   "bridge-admin",
//		Password:   password,
//	})
//	if err != nil { … }
//	u, err := c.FindUserByUsername(ctx, "jdoe")
//	if absorbapi.IsNotFound(err) { … }
//
// # One token, one limiter, one retry loop
//
// Absorb keeps one /authenticate token per admin and invalidates the old one
// at each login, so a Client holds exactly one token for all its calls. It
// logs in on first use and again TokenTTL-RefreshMargin after each login
// (4h-10m by default, dated by Config.Now). When calls get 401 with the token
// they sent, one login runs for all of them (single flight keyed on the
// refused token: a call refused with a token that has since been replaced
// simply retries with the new one), and each call is retried once; a second
// 401 is ErrUnauthorized.
//
// Several processes that log in as the same admin share one token through a
// Config.TokenStore: a Client takes the stored token, reads it again when it
// is refused (another process may have logged in), and logs in only under
// the store's lock, after reading it once more there. Client.SetRateLimit
// changes the limiter at run time, for a process that takes a share of a
// rate budget split between several.
//
// Every HTTP attempt, logins included, first waits for a token-bucket limiter
// (golang.org/x/time/rate, 200/s with a burst of 100 by default) shared by the
// whole Client; the wait is bounded by the context. Answers 429, 5xx and
// connection errors are retried with exponential backoff and full jitter
// (MinBackoff·2^n capped at MaxBackoff, uniformly randomised), at most
// MaxAttempts times, and never by sleeping past the context's deadline: the
// last error is returned instead. All of this happens in Client.Do; the
// methods do not repeat it.
//
// # Creates are never duplicated
//
// 5xx, connection resets and timeouts are ambiguous for a create: Absorb may
// have done the work. CreateUser, CreateDepartment and EnrollUser therefore
// never resend blindly: they look for the record first (the user by username,
// the department by external id or name, the enrollment by course), return it
// if it is there, and post again only if it is not. UploadUsers is retried
// like a read, since Absorb matches uploaded users by id and username.
//
// A create refused with 422 is examined: if the username belongs to a visible
// user the error is *ConflictError with ExistingID; if no visible user has it
// but Absorb's messages say it is taken, the holder is outside the admin's
// department scope and the error is *ConflictError with Hidden set, never
// ErrNotFound; otherwise *ValidationError.
//
// # Errors
//
// Callers branch with errors.Is/As or the Is* functions: ErrNotFound (404:
// an unknown id, or one outside the admin's scope), ErrForbidden (403: bad
// key, unknown path), ErrUnauthorized, ErrAmbiguous, *ValidationError
// (400/422 with per-field messages; errors.Is ErrRequestModel when the 422
// is Absorb's "Request Model Validation Error", a body it could not bind,
// which is the caller's data and never an unknown id), *RateLimitError (still
// 429 after retries), *UnavailableError (5xx, connection errors, timeouts;
// it wraps the context's error when the deadline ended the call),
// *ConflictError and *ResponseError. Error bodies are read through an
// io.LimitReader (64 KiB); the private key, password and token never appear
// in error text, and text Absorb echoes back is scrubbed of them.
//
// # Absorb's shapes
//
// Lists use Absorb's envelope {totalItems, returnedItems, limit, offset,
// <key>: […]}, where _offset is a page index (not a record offset) and
// _limit is at most 1000; _filter takes OData, built with Eq, And, Or, Ge
// and friends. Login is POST /authenticate {username, password, privateKey},
// answered with a bare JSON string ({"token": …} is accepted too). Batch
// writes are POST /users/upload with at most 200 users, answered with
// [{key: id, value: username}] for the users taken. activeStatus reads 0/1
// and "Active"/"Inactive".
//
// # Where portals may differ
//
// Some of Absorb's behaviour is undocumented and may differ between portals;
// the client is right under each possibility (fakeabsorb's variants play
// them). The answers of POST /users, PUT /users/{id} and the enroll call are
// read as an object or as the bare id in a JSON string. Dates are read with
// or without a zone and with any fraction (ParseTime, SameInstant,
// CompareTimes compare them as instants). UpdateUser sends every field it
// leaves empty as cleared, so it is right whether a PUT clears omitted
// fields or keeps them. ScanUsers and the user look-ups sort only by
// dateEdited and username (some portals refuse to sort by id) and narrow the
// filter instead of asking for pages past the first of a filtered list
// (which some portals answer with nothing).
//
// The package never logs. Config.Observer receives per-request status and
// latency (by route pattern, such as "/users/{id}"), logins and limiter waits.
package absorbapi

package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults for fetching signing keys and OpenID metadata.
const (
	defaultRefetchInterval = 30 * time.Second
	defaultFetchTimeout    = 10 * time.Second
	defaultMaxAge          = 24 * time.Hour
	maxDocumentSize        = 1 << 20
)

var (
	// errUnknownKeyID means the key set, fetched afresh or recently, has no key for the token.
	errUnknownKeyID = errors.New("no signing key matches the token's key id")
	// errKeysUnavailable means the key set could not be fetched.
	errKeysUnavailable = errors.New("signing keys unavailable")
)

// keyStore fetches and caches JWK Sets and OpenID metadata documents by URL. A document is
// fetched on first use, again when it is older than maxAge, and again when a token names a
// key id it lacks; fetches of one URL happen at most once per refetchInterval, whatever the
// outcome, so forged key ids cannot make the server hammer an IdP.
type keyStore struct {
	client          *http.Client
	now             func() time.Time
	refetchInterval time.Duration
	fetchTimeout    time.Duration
	maxAge          time.Duration

	mu   sync.Mutex
	jwks map[string]*docCache[keySet]
	meta map[string]*docCache[string]
}

func newKeyStore(client *http.Client, now func() time.Time) *keyStore {
	return &keyStore{
		client:          noInsecureRedirects(client),
		now:             now,
		refetchInterval: defaultRefetchInterval,
		fetchTimeout:    defaultFetchTimeout,
		maxAge:          defaultMaxAge,
		jwks:            map[string]*docCache[keySet]{},
		meta:            map[string]*docCache[string]{},
	}
}

// maxRedirects is how many redirects a key fetch follows, as http.Client does by default.
const maxRedirects = 10

// noInsecureRedirects returns a copy of c that refuses to follow a redirect to a URL keys may
// not be fetched from (see checkKeyURL), so an https JWKS URL cannot be downgraded to http.
// c's own CheckRedirect still applies to the redirects it lets through.
func noInsecureRedirects(c *http.Client) *http.Client {
	cp := *c
	next := c.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !secureKeyURL(req.URL) {
			return fmt.Errorf("redirected to %s, which is not https", req.URL.Redacted())
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return &cp
}

// lookupKeys returns the keys of the JWK Set at jwksURL that may verify a token with kid and
// alg. It returns an error wrapping errUnknownKeyID when the set has no such key, or
// errKeysUnavailable when the set could not be fetched.
func (s *keyStore) lookupKeys(ctx context.Context, jwksURL, kid, alg string) ([]jwt.VerificationKey, error) {
	s.mu.Lock()
	d, ok := s.jwks[jwksURL]
	if !ok {
		d = &docCache[keySet]{store: s, url: jwksURL, parse: parseJWKS}
		s.jwks[jwksURL] = d
	}
	s.mu.Unlock()

	set, fetchErr := d.get(ctx, func(set keySet) bool { return len(set.match(kid, alg)) > 0 })
	if keys := set.match(kid, alg); len(keys) > 0 {
		return keys, nil
	}
	if fetchErr != nil {
		return nil, fmt.Errorf("%w: %w", errKeysUnavailable, fetchErr)
	}
	return nil, errUnknownKeyID
}

// lookupJWKSURI returns the jwks_uri of the OpenID Provider Metadata at metadataURL
// (OpenID Connect Discovery 1.0 §3). The jwks_uri must be https, or http on a loopback host
// (see checkKeyURL). Errors wrap errKeysUnavailable.
func (s *keyStore) lookupJWKSURI(ctx context.Context, metadataURL string) (string, error) {
	s.mu.Lock()
	d, ok := s.meta[metadataURL]
	if !ok {
		d = &docCache[string]{store: s, url: metadataURL, parse: parseJWKSURI}
		s.meta[metadataURL] = d
	}
	s.mu.Unlock()

	uri, err := d.get(ctx, func(string) bool { return true })
	if uri != "" {
		return uri, nil
	}
	if err == nil {
		err = errors.New("metadata not fetched yet")
	}
	return "", fmt.Errorf("%w: %w", errKeysUnavailable, err)
}

// parseJWKSURI reads the jwks_uri of an OpenID Provider Metadata document.
func parseJWKSURI(data []byte) (string, error) {
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("decode openid metadata: %w", err)
	}
	if u, err := url.Parse(doc.JWKSURI); err != nil || !secureKeyURL(u) {
		return "", errors.New("openid metadata has no usable https jwks_uri")
	}
	return doc.JWKSURI, nil
}

// docCache holds one fetched document. mu guards the fields; fetchMu serialises fetches so
// that callers waiting behind a fetch reuse its result.
type docCache[T any] struct {
	store *keyStore
	url   string
	parse func([]byte) (T, error)

	fetchMu sync.Mutex

	mu        sync.Mutex
	val       T
	fetched   time.Time // last successful fetch; zero before
	attempted time.Time // last fetch attempt; zero before
	err       error     // error of the last attempt, nil after a success
}

// get returns the cached document and the error of the last fetch attempt. It fetches first
// when nothing is cached, when the cached document is older than maxAge or when satisfied
// rejects it, unless a fetch was attempted less than refetchInterval ago. A document that
// could not be refreshed is still returned.
func (d *docCache[T]) get(ctx context.Context, satisfied func(T) bool) (T, error) {
	now := d.store.now()
	d.mu.Lock()
	fresh := !d.fetched.IsZero() && now.Sub(d.fetched) < d.store.maxAge && satisfied(d.val)
	val := d.val
	d.mu.Unlock()
	if fresh {
		return val, nil
	}
	d.refresh(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.val, d.err
}

func (d *docCache[T]) refresh(ctx context.Context) {
	d.fetchMu.Lock()
	defer d.fetchMu.Unlock()
	now := d.store.now()
	d.mu.Lock()
	if !d.attempted.IsZero() && now.Sub(d.attempted) < d.store.refetchInterval {
		d.mu.Unlock()
		return
	}
	d.attempted = now
	d.mu.Unlock()

	val, err := d.fetch(ctx)

	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.err = err
		return
	}
	d.val, d.fetched, d.err = val, now, nil
}

// fetch GETs the document with a bounded time and size. The request outlives a cancelled
// caller (its result serves everyone) but not fetchTimeout.
func (d *docCache[T]) fetch(ctx context.Context) (T, error) {
	var zero T
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.store.fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	if err != nil {
		return zero, fmt.Errorf("fetch %s: %w", d.url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.store.client.Do(req)
	if err != nil {
		return zero, fmt.Errorf("fetch %s: %w", d.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return zero, fmt.Errorf("fetch %s: status %d", d.url, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentSize+1))
	if err != nil {
		return zero, fmt.Errorf("fetch %s: %w", d.url, err)
	}
	if len(data) > maxDocumentSize {
		return zero, fmt.Errorf("fetch %s: document larger than %d bytes", d.url, maxDocumentSize)
	}
	val, err := d.parse(data)
	if err != nil {
		return zero, fmt.Errorf("fetch %s: %w", d.url, err)
	}
	return val, nil
}

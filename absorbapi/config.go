package absorbapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Defaults applied by New to the zero fields of Config.
const (
	DefaultAPIVersion    = "2"
	DefaultHTTPTimeout   = 30 * time.Second
	DefaultRateLimit     = 200
	DefaultBurst         = 100
	DefaultTokenTTL      = 4 * time.Hour
	DefaultRefreshMargin = 10 * time.Minute
	DefaultMaxAttempts   = 8
	DefaultMinBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff    = 5 * time.Second
	DefaultScanPageSize  = 1000
	// DefaultIdleConns is how many idle connections to Absorb the default
	// client keeps: enough for every request in flight at the default
	// rate, so a busy bridge does not open (and TLS-handshake) a new
	// connection per request as net/http's default of two per host makes it.
	DefaultIdleConns = 64
	// MaxPageSize is the largest _limit the Integration API accepts.
	MaxPageSize = 1000
	// MaxUploadBatch is the largest number of users one POST /users/upload takes.
	MaxUploadBatch = 200
)

// Config configures a Client. PrivateKey, Username, Password and BaseURL are
// required; every other zero field takes the default documented beside it.
type Config struct {
	// BaseURL is a region name ("us", "ca", "eu", "au", or one of those with
	// "-sandbox") or a full http(s) URL; see ResolveBaseURL.
	BaseURL string
	// PrivateKey is the portal's Integration API key, sent as x-api-key and
	// as privateKey in the login body.
	PrivateKey string
	// Username and Password are the API admin's credentials.
	Username string
	Password string
	// APIVersion is sent as x-api-version; default "2".
	APIVersion string
	// HTTPClient sends the requests; default a client with a 30s timeout.
	HTTPClient *http.Client
	// RateLimit is the number of requests per second shared by every call of
	// the Client, logins included; default 200; negative means unlimited.
	RateLimit float64
	// Burst is the limiter's bucket size; default 100.
	Burst int
	// TokenTTL is how long a token lives; default 4h.
	TokenTTL time.Duration
	// RefreshMargin: the Client logs in again this long before its token
	// expires; default 10m. It must be shorter than TokenTTL.
	RefreshMargin time.Duration
	// MaxAttempts bounds the attempts of one call on 429, 5xx and
	// connection errors; default 8.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the exponential backoff (full jitter)
	// between attempts; defaults 100ms and 5s.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// ScanPageSize is the page size of ScanUsers and of the List* calls that
	// read every page; default and maximum 1000.
	ScanPageSize int
	// UserAgent is sent as User-Agent; default "absorb-scim-absorbapi".
	UserAgent string
	// Now is the clock that dates tokens; default time.Now.
	Now func() time.Time
	// Observer, if not nil, is told about every request, login and limiter wait.
	Observer Observer
	// TokenStore, if not nil, shares the token with the other processes
	// that log in as the same admin: the Client uses the stored token, reads
	// it again before it logs in, and logs in only under the store's lock.
	// Nil keeps the token in the Client alone.
	TokenStore TokenStore
}

// Observer receives measurements from a Client. Its methods are called
// synchronously from the calling goroutine (and from the login goroutine), so
// they must be fast and safe for concurrent use.
type Observer interface {
	// ObserveRequest reports one HTTP attempt. ctx is the context of the call
	// it belongs to (so an observer can count the attempts made on behalf of
	// one incoming request); endpoint is the route pattern, such as
	// "/users/{id}"; status is 0 for a transport error.
	ObserveRequest(ctx context.Context, method, endpoint string, status int, d time.Duration)
	// ObserveLogin reports a login; refresh is true when it replaced a token.
	ObserveLogin(refresh bool, err error)
	// ObserveLimiterWait reports how long a request waited for the client-side limiter.
	ObserveLimiterWait(d time.Duration)
}

type nopObserver struct{}

func (nopObserver) ObserveRequest(context.Context, string, string, int, time.Duration) {}
func (nopObserver) ObserveLogin(bool, error)                                           {}
func (nopObserver) ObserveLimiterWait(time.Duration)                                   {}

// Client is an Absorb Integration API client. It holds one token, shared by
// all its calls, and one rate limiter. It is safe for concurrent use.
type Client struct {
	baseURL    *url.URL
	cfg        Config
	httpClient *http.Client
	limiter    *rate.Limiter // nil when unlimited
	observer   Observer
	auth       tokenHolder
	// jitter, when set (tests), replaces the uniform draw in [0, ceil].
	jitter func(ceil time.Duration) time.Duration
}

// New checks cfg, applies defaults and returns a Client. It does not log in;
// the first call (or Login) does. It returns an error naming the first
// missing or invalid setting; the error never contains a secret.
func New(cfg Config) (*Client, error) {
	var missing []string
	if cfg.PrivateKey == "" {
		missing = append(missing, "private key")
	}
	if cfg.Username == "" {
		missing = append(missing, "username")
	}
	if cfg.Password == "" {
		missing = append(missing, "password")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("absorb client config: missing %s", strings.Join(missing, ", "))
	}
	base, err := ResolveBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("absorb client config: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("absorb client config: base URL: %w", err)
	}
	if err := applyDefaults(&cfg); err != nil {
		return nil, fmt.Errorf("absorb client config: %w", err)
	}
	c := &Client{
		baseURL:    u,
		cfg:        cfg,
		httpClient: cfg.HTTPClient,
		observer:   cfg.Observer,
	}
	if cfg.RateLimit > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(cfg.RateLimit), cfg.Burst)
	}
	return c, nil
}

// applyDefaults fills zero fields and rejects impossible combinations.
func applyDefaults(cfg *Config) error {
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient()
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.RefreshMargin == 0 {
		cfg.RefreshMargin = DefaultRefreshMargin
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.ScanPageSize == 0 {
		cfg.ScanPageSize = DefaultScanPageSize
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "absorb-scim-absorbapi"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	var errs []error
	if cfg.Burst < 0 {
		errs = append(errs, errors.New("burst must not be negative"))
	}
	if cfg.TokenTTL < 0 || cfg.RefreshMargin < 0 {
		errs = append(errs, errors.New("token TTL and refresh margin must not be negative"))
	} else if cfg.RefreshMargin >= cfg.TokenTTL {
		errs = append(errs, fmt.Errorf("refresh margin %v must be shorter than token TTL %v", cfg.RefreshMargin, cfg.TokenTTL))
	}
	if cfg.MaxAttempts < 0 {
		errs = append(errs, errors.New("max attempts must not be negative"))
	}
	if cfg.MinBackoff < 0 || cfg.MaxBackoff < cfg.MinBackoff {
		errs = append(errs, fmt.Errorf("backoff bounds %v..%v are invalid", cfg.MinBackoff, cfg.MaxBackoff))
	}
	if cfg.ScanPageSize < 0 || cfg.ScanPageSize > MaxPageSize {
		errs = append(errs, fmt.Errorf("scan page size %d is outside 1..%d", cfg.ScanPageSize, MaxPageSize))
	}
	return errors.Join(errs...)
}

// BaseURL returns the resolved base URL the Client sends requests to.
func (c *Client) BaseURL() string { return c.baseURL.String() }

// defaultHTTPClient is the client of a Config without one.
func defaultHTTPClient() *http.Client {
	return &http.Client{Timeout: DefaultHTTPTimeout, Transport: NewTransport()}
}

// NewTransport returns net/http's default transport with a pool of idle
// connections sized for concurrent writers (DefaultIdleConns); give it to
// a Config's HTTPClient, wrapped as needed.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = DefaultIdleConns
	t.MaxIdleConnsPerHost = DefaultIdleConns
	return t
}

// CloseIdleConnections closes the kept connections to Absorb that carry no
// request; the next request opens a new one.
func (c *Client) CloseIdleConnections() { c.httpClient.CloseIdleConnections() }

// Package config reads absorb-scim's configuration: one YAML file, with
// environment-variable overrides and *_FILE variants for secrets, validated
// as a whole so every problem is reported with its key at once.
package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/doctor"
)

// Config is the whole configuration. The YAML keys are the field names in
// lowerCamelCase; README.md documents each with its default.
type Config struct {
	Listen         string        `yaml:"listen"`
	PublicURL      string        `yaml:"publicURL"`
	DataDir        string        `yaml:"dataDir"`
	Storage        Storage       `yaml:"storage"`
	TLS            TLS           `yaml:"tls"`
	HTTP           HTTP          `yaml:"http"`
	TrustedProxies []string      `yaml:"trustedProxies"`
	Log            Log           `yaml:"log"`
	Absorb         Absorb        `yaml:"absorb"`
	Auth           Auth          `yaml:"auth"`
	Mapping        Mapping       `yaml:"mapping"`
	GroupRules     []GroupRule   `yaml:"groupRules"`
	Limits         RequestLimits `yaml:"limits"`
	Sync           Sync          `yaml:"sync"`
	Audit          Audit         `yaml:"audit"`
	Safety         Safety        `yaml:"safety"`
	DryRun         bool          `yaml:"dryRun"`
	ShutdownGrace  time.Duration `yaml:"shutdownGrace"`
	// Tenants, when set, are the Absorb portals served from this deployment,
	// each with its own credentials and data (tenants.go).
	Tenants []Tenant `yaml:"tenants"`
	// Tenant is the id of the tenant this configuration serves: set by
	// ForTenant, "" for a configuration without tenants.
	Tenant string `yaml:"-"`
}

// The storage drivers storage.driver takes.
const (
	DriverBbolt    = "bbolt"
	DriverPostgres = "postgres"
)

// Storage chooses where the bridge keeps its state: the bbolt file in
// dataDir (one replica), or a PostgreSQL database several replicas share.
type Storage struct {
	Driver   string   `yaml:"driver"` // bbolt (default) or postgres
	Postgres Postgres `yaml:"postgres"`
}

// Postgres is how to reach the PostgreSQL database. The URL holds the
// password, so it is a secret: never log it, print it through RedactURL.
type Postgres struct {
	URL     string `yaml:"url"`
	URLFile string `yaml:"urlFile"`
}

// TLS turns on HTTPS in-process.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// HTTP bounds the connections of the HTTP server, so slow or idle clients
// cannot hold them open.
type HTTP struct {
	ReadHeaderTimeout time.Duration `yaml:"readHeaderTimeout"`
	ReadTimeout       time.Duration `yaml:"readTimeout"`
	WriteTimeout      time.Duration `yaml:"writeTimeout"`
	IdleTimeout       time.Duration `yaml:"idleTimeout"`
}

// Log selects the log format and level.
type Log struct {
	Format string `yaml:"format"` // json or text
	Level  string `yaml:"level"`  // debug, info, warn, error
}

// Absorb is how to reach the Absorb portal.
type Absorb struct {
	Region         string        `yaml:"region"` // us, ca, eu, au, or *-sandbox
	URL            string        `yaml:"url"`    // instead of region
	PrivateKey     string        `yaml:"privateKey"`
	PrivateKeyFile string        `yaml:"privateKeyFile"`
	Username       string        `yaml:"username"`
	Password       string        `yaml:"password"`
	PasswordFile   string        `yaml:"passwordFile"`
	APIVersion     string        `yaml:"apiVersion"`
	RateLimit      float64       `yaml:"rateLimit"`
	Burst          int           `yaml:"burst"`
	Timeout        time.Duration `yaml:"timeout"`
	// MaxQueueWait bounds how long a write may expect to wait for its turn
	// at RateLimit; past it the bridge answers 429 with Retry-After.
	MaxQueueWait time.Duration `yaml:"maxQueueWait"`
	// Behaviour pins what the portal does where Absorb's documentation
	// leaves it open; a behaviour not pinned is what `doctor` recorded.
	Behaviour AbsorbBehaviour `yaml:"behaviour"`
}

// AbsorbBehaviour is the absorb.behaviour block: each key one of the values
// `doctor` reports (doctor.Values), or empty.
type AbsorbBehaviour struct {
	Create       string `yaml:"create"`
	Sort         string `yaml:"sort"`
	Put          string `yaml:"put"`
	Dates        string `yaml:"dates"`
	FilterPaging string `yaml:"filterPaging"`
	Answers      string `yaml:"answers"`
	Upload       string `yaml:"upload"`
}

// Doctor returns the block as doctor's Behaviour, "" for what it leaves out.
func (b AbsorbBehaviour) Doctor() doctor.Behaviour {
	return doctor.Behaviour{Create: b.Create, Sort: b.Sort, Put: b.Put, Dates: b.Dates, FilterPaging: b.FilterPaging, Answers: b.Answers, Upload: b.Upload}
}

// Auth lists the credentials IdPs may use.
type Auth struct {
	Realm                string  `yaml:"realm"`
	DiscoveryWithoutAuth bool    `yaml:"discoveryWithoutAuth"`
	Tokens               []Token `yaml:"tokens"`
	Basic                []Basic `yaml:"basic"`
	JWT                  []JWT   `yaml:"jwt"`
	Entra                []Entra `yaml:"entra"`
	// Console are the people who may sign in to the status console; they
	// never authenticate SCIM requests.
	Console []ConsoleUser `yaml:"console"`
}

// CredentialLimits are per-credential restrictions.
type CredentialLimits struct {
	AllowCIDRs    []string `yaml:"allowCIDRs"`
	RatePerSecond float64  `yaml:"ratePerSecond"`
	Burst         int      `yaml:"burst"`
	// StrictPatch makes a PATCH replace whose value filter matches nothing
	// a 400 noTarget (RFC 7644 §3.5.2.3) for this credential, instead of
	// adding the value, which Entra ID relies on.
	StrictPatch bool `yaml:"strictPatch"`
}

// Token is a static bearer token.
type Token struct {
	Name             string `yaml:"name"`
	Value            string `yaml:"value"`
	ValueFile        string `yaml:"valueFile"`
	Hash             string `yaml:"hash"`
	ReadOnly         bool   `yaml:"readOnly"`
	CredentialLimits `yaml:",inline"`
}

// Basic is an HTTP Basic credential.
type Basic struct {
	Name             string `yaml:"name"`
	Username         string `yaml:"username"`
	Password         string `yaml:"password"`
	PasswordFile     string `yaml:"passwordFile"`
	PasswordHash     string `yaml:"passwordHash"`
	ReadOnly         bool   `yaml:"readOnly"`
	CredentialLimits `yaml:",inline"`
}

// JWT is a JWT issuer whose tokens are accepted.
type JWT struct {
	Name             string        `yaml:"name"`
	Issuer           string        `yaml:"issuer"`
	Audiences        []string      `yaml:"audiences"`
	Algorithms       []string      `yaml:"algorithms"`
	Secret           string        `yaml:"secret"`
	SecretFile       string        `yaml:"secretFile"`
	PublicKeyFile    string        `yaml:"publicKeyFile"`
	PublicKeyPEM     string        `yaml:"-"` // read from PublicKeyFile
	JWKSURL          string        `yaml:"jwksURL"`
	Leeway           time.Duration `yaml:"leeway"`
	ReadOnly         bool          `yaml:"readOnly"`
	CredentialLimits `yaml:",inline"`
}

// Entra accepts tokens Microsoft Entra ID issues for a tenant.
type Entra struct {
	Name     string `yaml:"name"`
	TenantID string `yaml:"tenantId"`
	// MetadataURL overrides the tenant's OpenID configuration URL (for a
	// national cloud); the default is Microsoft's global endpoint.
	MetadataURL      string `yaml:"metadataURL"`
	ReadOnly         bool   `yaml:"readOnly"`
	CredentialLimits `yaml:",inline"`
}

// Mapping configures the SCIM <-> Absorb translation.
type Mapping struct {
	Fields               map[string]string `yaml:"fields"`
	DepartmentAttributes []string          `yaml:"departmentAttributes"`
	DefaultDepartment    string            `yaml:"defaultDepartment"`
	UnknownDepartment    string            `yaml:"unknownDepartment"`
	Password             string            `yaml:"password"`
	Languages            map[string]int    `yaml:"languages"`
}

// GroupRule is one group rule; see bridge.Rule.
type GroupRule struct {
	Name               string   `yaml:"name"`
	DisplayName        string   `yaml:"displayName"`
	DisplayNamePattern string   `yaml:"displayNamePattern"`
	ExternalID         string   `yaml:"externalId"`
	ExternalIDPattern  string   `yaml:"externalIdPattern"`
	Department         string   `yaml:"department"`
	Courses            []string `yaml:"courses"`
	UnenrollOnLeave    bool     `yaml:"unenrollOnLeave"`
}

// RequestLimits bound what one SCIM request may ask.
type RequestLimits struct {
	MaxBodyBytes     int64 `yaml:"maxBodyBytes"`
	MaxBulkBodyBytes int64 `yaml:"maxBulkBodyBytes"`
	// MaxBodyBytesInFlight bounds the body bytes of the large requests
	// (over 64 KiB) processed at once, and so the memory a burst of them
	// takes.
	MaxBodyBytesInFlight int64 `yaml:"maxBodyBytesInFlight"`
	MaxPatchOperations   int   `yaml:"maxPatchOperations"`
	MaxResults           int   `yaml:"maxResults"`
	BulkMaxOperations    int   `yaml:"bulkMaxOperations"`
	// MaxFilterScan is the most users a list of users reads to answer a
	// filter its indexes do not narrow enough; beyond it the list is
	// refused with 400 tooMany.
	MaxFilterScan int `yaml:"maxFilterScan"`
}

// Sync configures the polling of Absorb for changes made there.
type Sync struct {
	Interval time.Duration `yaml:"interval"`
}

// Audit configures the audit log.
type Audit struct {
	// Retention is how long audit records are kept; zero keeps them all.
	Retention time.Duration `yaml:"retention"`
}

// Default returns the configuration used where the file says nothing.
func Default() Config {
	return Config{
		Listen:  "127.0.0.1:8080",
		DataDir: "./data",
		Storage: Storage{Driver: DriverBbolt},
		HTTP:    HTTP{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute},
		Log:     Log{Format: "text", Level: "info"},
		Absorb:  Absorb{APIVersion: "2", RateLimit: 200, Burst: 50, Timeout: 30 * time.Second, MaxQueueWait: 2 * time.Second},
		Auth:    Auth{Realm: "absorb-scim"},
		Mapping: Mapping{UnknownDepartment: "default", Password: "generate"},
		Sync:    Sync{Interval: time.Minute},
		Limits: RequestLimits{
			MaxBodyBytes: 1 << 20, MaxBulkBodyBytes: 8 << 20, MaxBodyBytesInFlight: 8 << 20, MaxPatchOperations: 1000,
			MaxResults: 1000, BulkMaxOperations: 1000, MaxFilterScan: 50_000,
		},
		ShutdownGrace: 15 * time.Second,
		Safety:        defaultSafety(),
	}
}

// Load reads the file at path (none when path is ""), applies environment
// overrides from getenv, resolves *File secrets and validates the result.
// The error lists every problem, one per line, each with its key.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	var (
		p   problems
		raw []byte
		err error
	)
	if path != "" {
		raw, err = os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		if err := decodeFile(path, raw, &cfg, &p); err != nil {
			return cfg, err
		}
	}
	applyEnv(&cfg, getenv, &p)
	cfg.resolveSecrets(&p)
	cfg.prepareTenants(raw, &p)
	cfg.validate(&p)
	return cfg, p.err()
}

// Validate checks a configuration built in code (as demo does) the same way
// Load checks a file.
func (c Config) Validate() error {
	var p problems
	c.validate(&p)
	return p.err()
}

// problems collects validation messages.
type problems []string

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Problems: p}
}

// Error is a configuration that cannot be used; Problems has one line per
// problem, each starting with its key.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

package mapping

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
)

// Values of Config.UnknownDepartment.
const (
	UnknownDepartmentDefault = "default" // fall back to Config.DefaultDepartment
	UnknownDepartmentReject  = "reject"  // refuse the user
)

// Values of Config.Password.
const (
	PasswordGenerate    = "generate"    // a new strong password on create; IdP passwords ignored
	PasswordPassthrough = "passthrough" // the IdP's password when it sends one
)

// Config says how SCIM users become Absorb users.
type Config struct {
	// Fields maps Absorb fields to SCIM paths, overriding or extending the
	// defaults (Default() shows them all). Absorb field names are the JSON
	// names of absorbapi.User, with customFields.<name> for custom fields
	// (e.g. "customFields.string1": EnterpriseURN + ":costCenter").
	// A SCIM path is an attribute path (RFC 7644 §3.10) of the User schema
	// or its enterprise and Absorb extensions: "title", "name.givenName",
	// EnterpriseURN + ":employeeNumber", `emails[type eq "work"].value`,
	// `addresses[type eq "work"].locality`,
	// "phoneNumbers[primary eq true].value". A filter must be "eq"
	// comparisons joined by "and", which say what element to create for a
	// value read back from Absorb. Alternatives separated by "|" are tried
	// in order ("preferredLanguage|locale"); values read back from Absorb are
	// written to the first. An unfiltered multi-valued attribute selects its
	// primary element, else the first; emails prefer primary then type work,
	// addresses type work then primary. An empty path disables a default.
	Fields map[string]string
	// DepartmentAttributes are SCIM paths tried in order for the department
	// name or external id; nil means [EnterpriseURN + ":department"]. The
	// Absorb extension's departmentId, when present, is reported besides.
	DepartmentAttributes []string
	// DefaultDepartment is the department reference (id, name or external
	// id) used when none maps.
	DefaultDepartment string
	// UnknownDepartment is UnknownDepartmentDefault (the default) or
	// UnknownDepartmentReject.
	UnknownDepartment string
	// Password is PasswordGenerate (the default) or PasswordPassthrough.
	Password string
	// Languages maps preferredLanguage and locale values (case-insensitive;
	// "en-US" falls back to "en") to Absorb languageId, over the portal's
	// languages (Mapper.SetLanguages): a tag named here maps to its id
	// whatever the portal lists. nil names none.
	Languages map[string]int
}

// Default returns the default configuration, with every mappable Absorb
// field listed in Fields (disabled ones with an empty path).
func Default() Config {
	return Config{
		Fields:               defaultFields(),
		DepartmentAttributes: []string{EnterpriseURN + ":department"},
		UnknownDepartment:    UnknownDepartmentDefault,
		Password:             PasswordGenerate,
	}
}

func defaultFields() map[string]string {
	f := map[string]string{
		"username":         "userName",
		"firstName":        "name.givenName",
		"middleName":       "name.middleName",
		"lastName":         "name.familyName",
		"emailAddress":     "emails.value",
		"ccEmailAddresses": "emails.value",
		"externalId":       "externalId",
		"jobTitle":         "title",
		"phone":            "phoneNumbers.value",
		"employeeNumber":   EnterpriseURN + ":employeeNumber",
		"address":          "addresses.streetAddress",
		"address2":         "",
		"city":             "addresses.locality",
		"postalCode":       "addresses.postalCode",
		"provinceId":       "",
		"countryId":        "",
		"location":         AbsorbURN + ":location|addresses.formatted",
		"activeStatus":     "active",
		"languageId":       "preferredLanguage|locale",
		"gender":           AbsorbURN + ":gender",
		"referenceNumber":  AbsorbURN + ":referenceNumber",
		"notes":            AbsorbURN + ":notes",
		"dateHired":        AbsorbURN + ":dateHired",
		"dateTerminated":   AbsorbURN + ":dateTerminated",
		"supervisorId":     "",
	}
	for _, name := range customFieldNames() {
		f[name] = AbsorbURN + ":" + name
	}
	return f
}

// ConfigError lists every problem New found in a Config.
type ConfigError struct {
	Problems []string
}

// Error joins the problems.
func (e *ConfigError) Error() string {
	return "invalid mapping config: " + strings.Join(e.Problems, "; ")
}

// Mapper maps SCIM users to Absorb users and back under one Config. It is
// safe for concurrent use.
type Mapper struct {
	cfg       Config
	bindings  []binding
	deptID    path
	deptAttrs []path
	password  string
	langs     languageTable                 // Config.Languages
	portal    atomic.Pointer[languageTable] // the portal's, from SetLanguages
}

// New validates cfg and builds a Mapper. Fields are laid over the defaults;
// empty enum values take their defaults. It returns a *ConfigError listing
// every unknown or unmappable Absorb field name, malformed SCIM path, bad
// enum value and bad language entry.
func New(cfg Config) (*Mapper, error) {
	var problems []string
	m := &Mapper{}

	fields := defaultFields()
	seen := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(cfg.Fields)) {
		name, problem := canonicalField(k)
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		if prev, ok := seen[name]; ok {
			problems = append(problems, "fields: "+quote(prev)+" and "+quote(k)+" name the same absorb field")
			continue
		}
		seen[name] = k
		fields[name] = cfg.Fields[k]
	}
	for _, name := range mappableFields() {
		raw := fields[name]
		if strings.TrimSpace(raw) == "" {
			if name == "username" {
				problems = append(problems, "fields: username must be mapped")
			}
			continue
		}
		alts, err := parsePaths(raw)
		if err != nil {
			problems = append(problems, "fields: "+name+": "+err.Error())
			continue
		}
		k, custom := kindOf(name)
		m.bindings = append(m.bindings, binding{field: name, kind: k, custom: custom, alts: alts})
	}

	deptAttrs := cfg.DepartmentAttributes
	if deptAttrs == nil {
		deptAttrs = []string{EnterpriseURN + ":department"}
	}
	for i, raw := range deptAttrs {
		p, err := parsePath(raw)
		if err != nil {
			problems = append(problems, "departmentAttributes["+strconv.Itoa(i)+"]: "+err.Error())
			continue
		}
		m.deptAttrs = append(m.deptAttrs, p)
	}
	m.deptID, _ = parsePath(AbsorbURN + ":departmentId")

	unknown := strings.ToLower(strings.TrimSpace(cfg.UnknownDepartment))
	switch unknown {
	case "":
		unknown = UnknownDepartmentDefault
	case UnknownDepartmentDefault, UnknownDepartmentReject:
	default:
		problems = append(problems, "unknownDepartment: "+quote(cfg.UnknownDepartment)+": want \"default\" or \"reject\"")
	}
	m.password = strings.ToLower(strings.TrimSpace(cfg.Password))
	switch m.password {
	case "":
		m.password = PasswordGenerate
	case PasswordGenerate, PasswordPassthrough:
	default:
		problems = append(problems, "password: "+quote(cfg.Password)+": want \"generate\" or \"passthrough\"")
	}

	langs := cfg.Languages
	var langProblems []string
	m.langs, langProblems = languageTables(langs)
	problems = append(problems, langProblems...)

	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, &ConfigError{Problems: problems}
	}
	m.cfg = Config{
		Fields:               fields,
		DepartmentAttributes: slices.Clone(deptAttrs),
		DefaultDepartment:    cfg.DefaultDepartment,
		UnknownDepartment:    unknown,
		Password:             m.password,
		Languages:            maps.Clone(langs),
	}
	return m, nil
}

// Config returns the effective configuration: the defaults with the given
// Config laid over them.
func (m *Mapper) Config() Config {
	c := m.cfg
	c.Fields = maps.Clone(c.Fields)
	c.DepartmentAttributes = slices.Clone(c.DepartmentAttributes)
	c.Languages = maps.Clone(c.Languages)
	return c
}

// canonicalField returns the Absorb JSON name for a configured field name
// (matched case-insensitively), or a problem.
func canonicalField(k string) (string, string) {
	name := strings.TrimSpace(k)
	for _, f := range mappableFields() {
		if strings.EqualFold(f, name) {
			return f, ""
		}
	}
	if why := unmappable(name); why != "" {
		return "", "fields: " + quote(k) + " cannot be mapped: " + why
	}
	if strings.HasPrefix(strings.ToLower(name), "customfields.") {
		return "", "fields: unknown custom field " + quote(k) + " (want string1-30, decimal1-5, datetime1-5 or bool1-5)"
	}
	return "", "fields: unknown absorb field " + quote(k)
}

func quote(s string) string { return strconv.Quote(s) }

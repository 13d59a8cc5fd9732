// Package dump copies everything a storage.Store keeps to and from a
// stream that does not depend on the engine, so a bbolt file can move to
// PostgreSQL and back (absorb-scim migrate), and a PostgreSQL store can be
// backed up and restored by the bridge itself.
//
// # Format
//
// A dump is JSON lines (UTF-8, one JSON object per line, "\n" after each).
// Each line is an object with exactly one key, which says what it holds:
//
//	{"dump":{"format":"absorb-scim-dump","version":1,"created":"2026-12-06T21:00:00Z"}}   first line
//	{"cursor":{"name":"absorb/edited-since","value":"..."}}
//	{"user":{"id":..,"absorbId":..,"userName":..,"externalId":..,"emails":[..],"active":true,
//	         "resource":{SCIM user},"created":..,"lastModified":..,"version":3}}
//	{"absorbUser":{"id":..,"username":..,"externalId":..,"dateEdited":..,"raw":{Absorb user}}}
//	{"group":{"id":..,"displayName":..,"externalId":..,"resource":{..},"created":..,"lastModified":..,"version":1}}
//	{"member":{"group":..,"user":..,"display":..}}
//	{"intent":{"key":..,"scimId":..,"resource":{..},"started":..}}
//	{"hold":{"userId":..,"absorbId":..,"userName":..,"kind":..,"time":..,"credential":..,"requestId":..,"resource":{..}}}
//	{"ruleState":{"user":..,"state":{opaque JSON}}}
//	{"audit":{"seq":..,"time":..,"credential":..,"requestId":..,"operation":..,"resourceType":..,
//	          "resourceId":..,"absorbId":..,"userName":..,"outcome":..,"changes":[{"field":..,"from":..,"to":..}]}}
//	{"end":{"users":N,"absorbUsers":N,"groups":N,"members":N,"intents":N,"holds":N,"ruleStates":N,"audit":N,"cursors":N}}   last line
//
// Times are RFC 3339 with nanoseconds, in UTC. Optional fields (an
// externalId, a document, a list of changes) are left out when empty. Export writes the kinds in the order
// above (members after the users and groups they join); Import applies the
// lines in the order it reads them. The last line counts the lines before
// it, so a dump cut short is refused instead of restored in part. Import
// refuses a key it does not know rather than drop data a newer version
// wrote.
//
// The audit log keeps its order but not its sequence numbers: the
// destination numbers the records it appends from its own next number,
// as it does every record (storage.Tx.AppendAudit). The "seq" of each line
// is what the source called it.
//
// A dump holds personal data (names, emails, the SCIM resources) but no
// secret of the bridge's: no credential, token or password is kept in a
// store.
package dump

import (
	"encoding/json"
	"time"
)

// Format and Version name the format in a dump's first line. Version
// changes when a change would make an older Import misread a dump.
const (
	Format  = "absorb-scim-dump"
	Version = 1
)

// Counts are how many records of each kind a dump or a store holds.
type Counts struct {
	Users       int `json:"users"`
	AbsorbUsers int `json:"absorbUsers"`
	Groups      int `json:"groups"`
	Members     int `json:"members"`
	Intents     int `json:"intents"`
	Holds       int `json:"holds"`
	RuleStates  int `json:"ruleStates"`
	Audit       int `json:"audit"`
	Cursors     int `json:"cursors"`
}

// Empty reports whether nothing is counted.
func (c Counts) Empty() bool { return c == Counts{} }

// line is one line of a dump: exactly one field is set.
type line struct {
	Dump       *header         `json:"dump,omitempty"`
	Cursor     *cursorLine     `json:"cursor,omitempty"`
	User       *userLine       `json:"user,omitempty"`
	AbsorbUser *absorbUserLine `json:"absorbUser,omitempty"`
	Group      *groupLine      `json:"group,omitempty"`
	Member     *memberLine     `json:"member,omitempty"`
	Intent     *intentLine     `json:"intent,omitempty"`
	Hold       *holdLine       `json:"hold,omitempty"`
	RuleState  *ruleStateLine  `json:"ruleState,omitempty"`
	Audit      *auditLine      `json:"audit,omitempty"`
	End        *Counts         `json:"end,omitempty"`
}

type header struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Created time.Time `json:"created"`
}

type cursorLine struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type userLine struct {
	ID           string          `json:"id"`
	AbsorbID     string          `json:"absorbId,omitempty"`
	UserName     string          `json:"userName"`
	ExternalID   string          `json:"externalId,omitempty"`
	Emails       []string        `json:"emails,omitempty"`
	Active       bool            `json:"active"`
	Resource     json.RawMessage `json:"resource,omitempty"`
	Created      time.Time       `json:"created"`
	LastModified time.Time       `json:"lastModified"`
	Version      uint64          `json:"version"`
}

type absorbUserLine struct {
	ID         string          `json:"id"`
	Username   string          `json:"username,omitempty"`
	ExternalID string          `json:"externalId,omitempty"`
	DateEdited string          `json:"dateEdited,omitempty"`
	Raw        json.RawMessage `json:"raw,omitempty"`
}

type groupLine struct {
	ID           string          `json:"id"`
	DisplayName  string          `json:"displayName"`
	ExternalID   string          `json:"externalId,omitempty"`
	Resource     json.RawMessage `json:"resource,omitempty"`
	Created      time.Time       `json:"created"`
	LastModified time.Time       `json:"lastModified"`
	Version      uint64          `json:"version"`
}

type memberLine struct {
	Group   string `json:"group"`
	User    string `json:"user"`
	Display string `json:"display,omitempty"`
}

type intentLine struct {
	Key      string          `json:"key"`
	SCIMID   string          `json:"scimId"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Started  time.Time       `json:"started"`
}

type holdLine struct {
	UserID     string          `json:"userId"`
	AbsorbID   string          `json:"absorbId,omitempty"`
	UserName   string          `json:"userName,omitempty"`
	Kind       string          `json:"kind"`
	Time       time.Time       `json:"time"`
	Credential string          `json:"credential,omitempty"`
	RequestID  string          `json:"requestId,omitempty"`
	Resource   json.RawMessage `json:"resource,omitempty"`
}

type ruleStateLine struct {
	User  string          `json:"user"`
	State json.RawMessage `json:"state"`
}

type auditLine struct {
	Seq          uint64       `json:"seq"`
	Time         time.Time    `json:"time"`
	Credential   string       `json:"credential,omitempty"`
	RequestID    string       `json:"requestId,omitempty"`
	Operation    string       `json:"operation,omitempty"`
	ResourceType string       `json:"resourceType,omitempty"`
	ResourceID   string       `json:"resourceId,omitempty"`
	AbsorbID     string       `json:"absorbId,omitempty"`
	UserName     string       `json:"userName,omitempty"`
	Outcome      string       `json:"outcome,omitempty"`
	Changes      []changeLine `json:"changes,omitempty"`
}

type changeLine struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

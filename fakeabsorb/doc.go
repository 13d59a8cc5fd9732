// Package fakeabsorb is a faithful, in-memory fake of Absorb LMS's Integration
// API, served over real HTTP.
//
// It speaks the v2 camelCase shapes (whatever x-api-version says), enforces the
// x-api-key header, the /authenticate token rules (one token per admin, a new
// login supersedes the old token, tokens expire), a token-bucket rate limit,
// administrator department scope, Absorb's paging (`_offset` is a page index),
// `_sort` and an OData subset in `_filter`. It can be told to misbehave on
// purpose: added latency, 5xx answers, extra 429 answers, connections dropped
// after the work is committed, and stolen tokens. Where the evidence leaves
// Absorb's behaviour open (create or upsert, which fields sort, PUT replace
// or merge, date format, filtered paging, answer shape, whether an upload
// updates the accounts it matches), Options.Variants chooses which
// possibility it plays.
//
// A Server starts with a fixed seed (departments, courses, admins, learners,
// groups and enrollments) whose ids are exported constants. Control routes under
// /_fake/ change faults, steal tokens and read request statistics without a key
// or a token. README.md in this directory documents the seed, the controls and
// every behaviour chosen where Absorb's documentation is silent.
package fakeabsorb

package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/klauspost/compress/s2"
)

// The record encoding is documented in doc.go.

const (
	recordFormat = 1
	// recordFormatAudit2 marks an audit record whose header compacts its
	// id-like strings (idstring.go); format 1 audit records stay readable.
	recordFormatAudit2 = 2

	blobPlain   = 0
	blobS2Dict1 = 2
	blobS2Dict2 = 3

	// compressMin is the smallest record body worth compressing.
	compressMin = 128
	// maxRecordBody bounds the plain size a compressed body may claim, so a
	// damaged record cannot ask for a huge allocation.
	maxRecordBody = 256 << 20
	// maxPooledScratch: larger scratch buffers are left to the collector
	// rather than kept for the next record.
	maxPooledScratch = 64 << 10
)

// s2DictV1 is dictV1 as an S2 dictionary. Its first repeat offset, like the
// dictionary itself, is part of the file format: it is where the opening of
// a SCIM user document starts in dictV1, and must never change.
var s2DictV1 = s2.MakeDictManual([]byte(dictV1), s2DictV1Repeat)

const s2DictV1Repeat = 1665

// dictV1 is the S2 dictionary of blobS2Dict1 bodies: the names and shapes
// that recur in SCIM and Absorb user and group documents, so that even a
// small record finds matches. It is part of the file format: it must never
// change (a new dictionary is a new blob kind). The most common strings come
// last, where they are cheapest to refer to.
const dictV1 = `{"dateHired":null,"dateTerminated":null,"notes":null,"referenceNumber":null,"location":null,` +
	`"address2":null,"lastLoginDate":null,"supervisorId":null,"ccEmailAddresses":[],"roleIds":[],` +
	`"customFields":{"string1":null,"string2":null,"string3":null,"string4":null,"string5":null,` +
	`"decimal1":null,"decimal2":null,"date1":null,"date2":null,"bool1":null,"bool2":null},` +
	`"languageId":1,"gender":0,"activeStatus":0,"isLearner":true,"isAdmin":false,"isInstructor":false,` +
	`"isManager":false,"hasUsername":true,"departmentId":"","firstName":"","middleName":"","lastName":"",` +
	`"username":"","emailAddress":"","address":"","city":"","provinceId":"","countryId":"","postalCode":"",` +
	`"phone":"","employeeNumber":"","jobTitle":"","dateAdded":"","dateEdited":"",` +
	`"urn:ietf:params:scim:schemas:extension:absorb:2.0:User":{` +
	`"urn:ietf:params:scim:schemas:core:2.0:Group"],"members":[{"value":"","display":"","$ref":""}],` +
	`"ims":[{"value":"","type":""}],"photos":[{"value":"","type":"photo"}],"x509Certificates":[],` +
	`"entitlements":[],"roles":[{"value":"","display":"","primary":false}],"groups":[],` +
	`"nickName":"","profileUrl":"","userType":"Employee","preferredLanguage":"en-US","locale":"en-US",` +
	`"timezone":"America/","honorificPrefix":"","honorificSuffix":"","password":"",` +
	`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"","costCenter":"",` +
	`"organization":"","division":"","department":"","manager":{"value":"","displayName":""}},` +
	`"addresses":[{"type":"work","streetAddress":"","locality":"","region":"","postalCode":"",` +
	`"country":"US","formatted":"","primary":true}],"phoneNumbers":[{"type":"mobile","value":"+1 "},` +
	`{"type":"work","value":"+1 ","primary":true}],"title":"",` +
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",` +
	`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"","externalId":"",` +
	`"userName":"","name":{"formatted":"","familyName":"","givenName":"","middleName":""},` +
	`"displayName":"","active":true,"emails":[{"value":"","type":"work","primary":true}],` +
	`@gmail.com","@outlook.com","`

// errTruncated reports a record shorter than its encoding says.
var errTruncated = errors.New("truncated record")

// codec holds the buffers reused across records.
type codec struct {
	scratch sync.Pool // *scratch
}

// scratch holds a record's plain body while it is compressed, or while its
// header is read.
type scratch struct{ plain, packed []byte }

// record encodes a record: the format byte, then the blob of
// uvarint(len(header)) header payload, compressed when that is smaller.
//
// S2's "better" mode with dictV1 as its dictionary compresses user documents
// almost as well as DEFLATE does and decodes them far faster, which matters
// because every read decodes a record and every write decodes the one it
// replaces inside the shared commit.
func (c *codec) record(e *encoder, payload []byte) []byte {
	return c.recordAs(recordFormat, blobS2Dict1, e, payload)
}

// recordAs is record for a record of the given format, compressed with the
// dictionary of blob kind dict.
func (c *codec) recordAs(format, dict byte, e *encoder, payload []byte) []byte {
	plainLen := uvarintLen(uint64(len(e.b))) + len(e.b) + len(payload)
	if plainLen >= compressMin {
		sc := c.getScratch()
		defer c.putScratch(sc)
		sc.plain = binary.AppendUvarint(sc.plain[:0], uint64(len(e.b)))
		sc.plain = append(append(sc.plain, e.b...), payload...)
		sc.packed = s2Dict(dict).EncodeBetter(sc.packed[:cap(sc.packed)], sc.plain)
		if len(sc.packed) < plainLen {
			v := make([]byte, 0, 2+len(sc.packed))
			v = append(v, format, dict)
			return append(v, sc.packed...)
		}
	}
	v := make([]byte, 0, 2+plainLen)
	v = append(v, format, blobPlain)
	v = binary.AppendUvarint(v, uint64(len(e.b)))
	v = append(v, e.b...)
	return append(v, payload...)
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

func (c *codec) getScratch() *scratch {
	if sc, ok := c.scratch.Get().(*scratch); ok {
		return sc
	}
	return &scratch{}
}

func (c *codec) putScratch(sc *scratch) {
	if cap(sc.plain) > maxPooledScratch || cap(sc.packed) > maxPooledScratch {
		return
	}
	c.scratch.Put(sc)
}

// open decodes a stored record into its header decoder and, with
// wantPayload, a copy of its payload (nil when empty). Nothing returned points
// into v.
func (c *codec) open(v []byte, wantPayload bool) (*decoder, []byte, error) {
	return c.openAs(recordFormat, v, wantPayload)
}

// openAs is open for a record of the given format.
func (c *codec) openAs(format byte, v []byte, wantPayload bool) (*decoder, []byte, error) {
	if len(v) < 2 {
		return nil, nil, errTruncated
	}
	if v[0] != format {
		return nil, nil, fmt.Errorf("unknown record format %d", v[0])
	}
	kind, b := v[1], v[2:]
	owned := false
	switch kind {
	case blobPlain:
	case blobS2Dict1, blobS2Dict2:
		var sc *scratch
		if !wantPayload {
			// Only the header is kept, as a string of its own: the plain
			// body can go back to the pool.
			sc = c.getScratch()
			defer c.putScratch(sc)
		}
		plain, err := unpackS2(sc, s2Dict(kind), b)
		if err != nil {
			return nil, nil, err
		}
		b, owned = plain, true
	default:
		return nil, nil, fmt.Errorf("unknown blob kind %d", kind)
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, errTruncated
	}
	end := k + int(n)
	d := &decoder{s: string(b[k:end])}
	if !wantPayload || end == len(b) {
		return d, nil, nil
	}
	if owned {
		return d, b[end:len(b):len(b)], nil
	}
	return d, bytes.Clone(b[end:]), nil
}

// s2Dict is the S2 dictionary of a compressed blob kind.
func s2Dict(kind byte) *s2.Dict {
	if kind == blobS2Dict2 {
		return s2DictV2
	}
	return s2DictV1
}

// unpackS2 returns the plain bytes of a body compressed with dict: in sc's
// buffer when sc is not nil, else in a slice of its own.
func unpackS2(sc *scratch, dict *s2.Dict, b []byte) ([]byte, error) {
	n, err := s2.DecodedLen(b)
	if err != nil || n > maxRecordBody {
		return nil, errTruncated
	}
	var dst []byte
	if sc != nil {
		dst = sc.plain[:0]
	}
	plain, err := dict.Decode(dst, b)
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	if sc != nil {
		sc.plain = plain
	}
	return plain, nil
}

// encoder builds a record header.
type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.uint(0)
		return
	}
	e.uint(uint64(t.Nanosecond()) + 1)
	e.b = binary.AppendVarint(e.b, t.Unix())
}

// decoder reads a record header. The header is copied out of the memory map
// once, as one string; the strings it returns are slices of that copy.
type decoder struct {
	s   string
	off int
	err error
}

func (d *decoder) uint() uint64 {
	var v uint64
	var shift uint
	for i := d.off; i < len(d.s); i++ {
		c := d.s[i]
		if shift >= 64 {
			break
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			d.off = i + 1
			return v
		}
		shift += 7
	}
	d.fail()
	return 0
}

func (d *decoder) int() int64 {
	u := d.uint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *decoder) str() string {
	n := d.uint()
	if d.err != nil || n > uint64(len(d.s)-d.off) {
		d.fail()
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

func (d *decoder) bool() bool {
	if d.off >= len(d.s) {
		d.fail()
		return false
	}
	b := d.s[d.off]
	d.off++
	return b != 0
}

func (d *decoder) time() time.Time {
	ns := d.uint()
	if ns == 0 || d.err != nil {
		return time.Time{}
	}
	sec := d.int()
	if ns > 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(ns-1)).UTC()
}

// count reads a list length, bounded by the bytes left so a damaged record
// cannot ask for a huge allocation.
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.s)-d.off) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errTruncated
	}
	d.off = len(d.s)
}

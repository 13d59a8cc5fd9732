package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// hashPrefix starts every hashed secret in a Config.
const hashPrefix = "sha256:"

// HashSecret returns "sha256:<hex>" for secret, the form Token.Hash and
// BasicUser.PasswordHash accept, so that a config file need not hold the secret itself.
// Hash only random secrets of at least 128 bits: an unsalted SHA-256 does not protect a
// guessable password.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hashPrefix + hex.EncodeToString(sum[:])
}

// weakSecrets are secrets an attacker tries first: placeholders from
// examples and the passwords every list of leaked passwords starts with. A
// hash of one of them in a configuration lets anyone in.
var weakSecrets = []string{
	"", "test", "password", "changeme", "secret", "admin", "token",
	"123456", "12345678", "qwerty", "letmein", "passw0rd", "example", "demo",
}

// weakDigests are the SHA-256 digests of weakSecrets.
var weakDigests = func() map[[sha256.Size]byte]bool {
	m := make(map[[sha256.Size]byte]bool, len(weakSecrets))
	for _, s := range weakSecrets {
		m[sha256.Sum256([]byte(s))] = true
	}
	return m
}()

// isWeakDigest reports whether d is the digest of a well-known weak secret.
func isWeakDigest(d [sha256.Size]byte) bool { return weakDigests[d] }

// parseHash decodes a "sha256:<64 hex digits>" string.
func parseHash(s string) ([sha256.Size]byte, error) {
	var d [sha256.Size]byte
	hexPart, ok := strings.CutPrefix(s, hashPrefix)
	if !ok {
		return d, errors.New(`must start with "sha256:"`)
	}
	if len(hexPart) != 2*sha256.Size {
		return d, errors.New("must have 64 hex digits after \"sha256:\"")
	}
	if _, err := hex.Decode(d[:], []byte(hexPart)); err != nil {
		return d, errors.New("must have 64 hex digits after \"sha256:\"")
	}
	return d, nil
}

// staticToken is a configured bearer token, kept only as its SHA-256 digest.
type staticToken struct {
	p      *principal
	digest [sha256.Size]byte
}

// basicUser is a configured Basic user, kept only as digests.
type basicUser struct {
	p        *principal
	user     [sha256.Size]byte
	password [sha256.Size]byte
}

// matchToken returns the principal of the static token equal to tok, or nil. It compares
// SHA-256 digests with crypto/subtle, so neither the length nor the content of a configured
// token shows in the timing, and it visits every token whatever matches.
func (a *Authenticator) matchToken(tok string) *principal {
	d := sha256.Sum256([]byte(tok))
	var found *principal
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(d[:], a.tokens[i].digest[:]) == 1 && found == nil {
			found = a.tokens[i].p
		}
	}
	return found
}

// authenticateBasic checks the credentials of an "Authorization: Basic" header (RFC 7617 §2).
// Failures carry no RFC 6750 error code: the Bearer challenge was not the one answered.
func (a *Authenticator) authenticateBasic(param string) (*principal, *failure) {
	raw, err := base64.StdEncoding.DecodeString(param)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(param)
	}
	if err != nil {
		return nil, noCredentials("the Basic credentials are not valid base64")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, noCredentials("the Basic credentials have no ':' between user name and password")
	}
	ud := sha256.Sum256([]byte(user))
	pd := sha256.Sum256([]byte(pass))
	var found *principal
	for i := range a.basic {
		u := subtle.ConstantTimeCompare(ud[:], a.basic[i].user[:])
		p := subtle.ConstantTimeCompare(pd[:], a.basic[i].password[:])
		if u&p == 1 && found == nil {
			found = a.basic[i].p
		}
	}
	if found == nil {
		return nil, noCredentials("unknown user name or wrong password")
	}
	return found, nil
}

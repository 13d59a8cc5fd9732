package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// minRSABits is the smallest RSA modulus accepted, from a PEM or a JWK.
const minRSABits = 2048

// jwk is one usable signing key of a JWK Set.
type jwk struct {
	kid string
	// alg, when set, is the only algorithm the key may be used with (RFC 7517 §4.4).
	alg string
	key crypto.PublicKey
}

// keySet is a parsed JWK Set.
type keySet []jwk

// match returns the keys that may verify a token with the given kid and alg. A token without
// a kid may be verified by any key that fits alg.
func (s keySet) match(kid, alg string) []jwt.VerificationKey {
	var out []jwt.VerificationKey
	for _, k := range s {
		if kid != "" && k.kid != kid {
			continue
		}
		if k.alg != "" && k.alg != alg {
			continue
		}
		if keyFitsAlg(k.key, alg) {
			out = append(out, k.key)
		}
	}
	return out
}

// rawJWK holds the members of a JWK (RFC 7517 §4, RFC 7518 §6) that are read here.
type rawJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS decodes a JWK Set (RFC 7517 §5). Keys that are not RSA or EC P-256/384/521
// signing keys, or that are malformed, are skipped; an error means the document is not a
// JWK Set at all.
func parseJWKS(data []byte) (keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("decode jwk set: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New("decode jwk set: no \"keys\" member")
	}
	var set keySet
	for _, raw := range doc.Keys {
		var k rawJWK
		if err := json.Unmarshal(raw, &k); err != nil {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		key, err := k.publicKey()
		if err != nil {
			continue
		}
		set = append(set, jwk{kid: k.Kid, alg: k.Alg, key: key})
	}
	return set, nil
}

// publicKey builds the RSA (RFC 7518 §6.3.1) or EC (RFC 7518 §6.2.1) public key of k.
func (k rawJWK) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64url(k.N)
		if err != nil {
			return nil, fmt.Errorf("rsa jwk n: %w", err)
		}
		e, err := b64url(k.E)
		if err != nil {
			return nil, fmt.Errorf("rsa jwk e: %w", err)
		}
		return rsaKey(n, e)
	case "EC":
		curve, size := curveByName(k.Crv)
		if curve == nil {
			return nil, fmt.Errorf("ec jwk: unsupported curve %q", k.Crv)
		}
		x, err := b64url(k.X)
		if err != nil {
			return nil, fmt.Errorf("ec jwk x: %w", err)
		}
		y, err := b64url(k.Y)
		if err != nil {
			return nil, fmt.Errorf("ec jwk y: %w", err)
		}
		if len(x) > size || len(y) > size {
			return nil, errors.New("ec jwk: coordinate longer than the curve size")
		}
		point := make([]byte, 1+2*size)
		point[0] = 4 // uncompressed, SEC 1 §2.3.3
		copy(point[1+size-len(x):1+size], x)
		copy(point[1+2*size-len(y):], y)
		key, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, fmt.Errorf("ec jwk: %w", err)
		}
		return key, nil
	default:
		return nil, fmt.Errorf("unsupported jwk kty %q", k.Kty)
	}
}

// rsaKey builds an RSA public key from the big-endian modulus and exponent.
func rsaKey(n, e []byte) (*rsa.PublicKey, error) {
	if len(e) == 0 || len(e) > 4 {
		return nil, errors.New("rsa key: exponent out of range")
	}
	var exp int64
	for _, b := range e {
		exp = exp<<8 | int64(b)
	}
	if exp < 3 || exp%2 == 0 || exp > 1<<31-1 {
		return nil, errors.New("rsa key: exponent out of range")
	}
	mod := new(big.Int).SetBytes(n)
	if mod.BitLen() < minRSABits {
		return nil, fmt.Errorf("rsa key: modulus has %d bits, fewer than %d", mod.BitLen(), minRSABits)
	}
	return &rsa.PublicKey{N: mod, E: int(exp)}, nil
}

func curveByName(crv string) (elliptic.Curve, int) {
	switch crv {
	case "P-256":
		return elliptic.P256(), 32
	case "P-384":
		return elliptic.P384(), 48
	case "P-521":
		return elliptic.P521(), 66
	}
	return nil, 0
}

// b64url decodes base64url with or without padding (RFC 7515 §2 omits it).
func b64url(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// keyFitsAlg reports whether key can verify alg: RSA keys for RS* and PS*, EC keys for the
// ES* of their curve (RFC 7518 §3.4).
func keyFitsAlg(key crypto.PublicKey, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		case "ES512":
			return k.Curve == elliptic.P521()
		}
	}
	return false
}

// describeKey names a key's type for configuration messages.
func describeKey(key crypto.PublicKey) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return "an RSA key"
	case *ecdsa.PublicKey:
		return "an EC " + k.Curve.Params().Name + " key"
	}
	return "an unsupported key"
}

// parsePublicKeyPEM reads the first PEM block of s: a PKIX "PUBLIC KEY", a PKCS #1
// "RSA PUBLIC KEY" or a "CERTIFICATE". It refuses private keys, RSA keys shorter than 2048
// bits and key types other than RSA and EC P-256/384/521.
func parsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("is not PEM")
	}
	var key crypto.PublicKey
	var err error
	switch {
	case strings.Contains(block.Type, "PRIVATE KEY"):
		return nil, errors.New("holds a private key; configure only the public key")
	case block.Type == "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case block.Type == "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case block.Type == "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("has a %q block; want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot be parsed: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("holds a %d-bit RSA key; at least %d bits are required", k.N.BitLen(), minRSABits)
		}
	case *ecdsa.PublicKey:
		if c, _ := curveByName(k.Curve.Params().Name); c == nil {
			return nil, fmt.Errorf("holds an EC key on unsupported curve %s", k.Curve.Params().Name)
		}
	default:
		return nil, fmt.Errorf("holds a %T; want an RSA or EC key", key)
	}
	return key, nil
}

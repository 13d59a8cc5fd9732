package cluster

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

// loginLockKey names the advisory lock a replica holds while it logs in.
const loginLockKey = "cluster:absorb-login"

// Tokens is the Absorb token the replicas of a tenant share
// (absorbapi.TokenStore). The token is stored sealed with AES-GCM under a
// key derived from secret, which every replica's configuration gives and
// the database does not hold: a dump of the database alone gives no usable
// token. A token sealed with another secret (the credentials were changed)
// reads as no token.
type Tokens struct {
	c    *Cluster
	aead cipher.AEAD
}

var _ absorbapi.TokenStore = (*Tokens)(nil)

// Tokens returns the shared token, sealed with a key derived from secret
// (the Absorb credentials; see TokenSecret). It fails when secret is empty.
func (c *Cluster) Tokens(secret []byte) (*Tokens, error) {
	if len(secret) == 0 {
		return nil, errors.New("cluster: the shared token needs a secret to seal it with")
	}
	key := sha256.Sum256(append([]byte("absorb-scim shared token\x00"), secret...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Tokens{c: c, aead: aead}, nil
}

// TokenSecret is the secret Tokens seals with, from the Absorb credentials
// every replica is configured with: a token sealed by replicas with other
// credentials is not taken.
func TokenSecret(privateKey, username, password string) []byte {
	return []byte(privateKey + "\x00" + username + "\x00" + password)
}

// LoadToken returns the stored token, or none. It reads on the login's pool,
// as ReplaceToken does: a replica reads the token when the one it holds was
// refused, while its SCIM requests wait for a new one, and on the store's
// pool the read could wait behind those very requests, which can hold every
// connection of it until they give up.
func (t *Tokens) LoadToken(ctx context.Context) (absorbapi.SharedToken, error) {
	return t.load(ctx, t.c.loginPool)
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (t *Tokens) load(ctx context.Context, q queryRower) (absorbapi.SharedToken, error) {
	var (
		sealed []byte
		issued time.Time
	)
	err := q.QueryRow(ctx, "SELECT sealed, issued_at FROM cluster_absorb_token WHERE tenant = $1", t.c.tenant).Scan(&sealed, &issued)
	if errors.Is(err, pgx.ErrNoRows) {
		return absorbapi.SharedToken{}, nil
	}
	if err != nil {
		return absorbapi.SharedToken{}, fmt.Errorf("read the shared absorb token: %w", err)
	}
	value, ok := t.open(sealed)
	if !ok {
		return absorbapi.SharedToken{}, nil
	}
	return absorbapi.SharedToken{Value: value, Issued: issued}, nil
}

// ReplaceToken calls replace with the stored token in a transaction that
// holds the tenant's login lock (pg_advisory_xact_lock: released at commit
// or when the connection dies), and stores what it returns. The
// transaction waits for the lock and lasts the login, so it runs on a pool
// of its own: on the store's it would hold a connection the SCIM requests
// need, and on the locks' it could wait behind writers that hold every lock
// connection while they wait for this very login.
func (t *Tokens) ReplaceToken(ctx context.Context, replace func(context.Context, absorbapi.SharedToken) (absorbapi.SharedToken, error)) (absorbapi.SharedToken, error) {
	var next absorbapi.SharedToken
	err := pgx.BeginFunc(ctx, t.c.loginPool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockID(t.c.tenant, loginLockKey)); err != nil {
			return fmt.Errorf("take the absorb login lock: %w", err)
		}
		cur, err := t.load(ctx, tx)
		if err != nil {
			return err
		}
		next, err = replace(ctx, cur)
		if err != nil {
			return err
		}
		if next.Value == cur.Value && next.Issued.Equal(cur.Issued) {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO cluster_absorb_token (tenant, sealed, issued_at) VALUES ($1, $2, $3)
			ON CONFLICT (tenant) DO UPDATE SET sealed = EXCLUDED.sealed, issued_at = EXCLUDED.issued_at, updated_at = now()`,
			t.c.tenant, t.seal(next.Value), next.Issued)
		if err != nil {
			return fmt.Errorf("store the shared absorb token: %w", err)
		}
		return nil
	})
	if err != nil {
		return absorbapi.SharedToken{}, err
	}
	return next, nil
}

// seal encrypts value with a random nonce, which it puts first; the tenant
// is authenticated with it, so a row copied to another tenant does not open.
func (t *Tokens) seal(value string) []byte {
	nonce := make([]byte, t.aead.NonceSize(), t.aead.NonceSize()+len(value)+t.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
	return t.aead.Seal(nonce, nonce, []byte(value), []byte(t.c.tenant))
}

// open decrypts what seal made; false when it was sealed with another key
// or for another tenant.
func (t *Tokens) open(sealed []byte) (string, bool) {
	n := t.aead.NonceSize()
	if len(sealed) < n {
		return "", false
	}
	plain, err := t.aead.Open(nil, sealed[:n], sealed[n:], []byte(t.c.tenant))
	if err != nil {
		return "", false
	}
	return string(plain), true
}

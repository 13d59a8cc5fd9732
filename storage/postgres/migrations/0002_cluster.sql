-- How replicas sharing this database coordinate (package cluster). Every
-- table has the tenant first in its primary key. Times come from the
-- database's clock (now()), the one clock all replicas share.

-- The Absorb token the replicas of a tenant share. sealed is the token
-- encrypted (AES-GCM) with a key derived from the Absorb credentials in the
-- replicas' configuration, so a dump of the database alone does not give a
-- usable token. issued_at dates the login, for the refresh before expiry.
CREATE TABLE cluster_absorb_token (
    tenant     text        PRIMARY KEY,
    sealed     bytea       NOT NULL,
    issued_at  timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The replicas of a tenant: each updates seen_at every heartbeat; one not
-- seen for a few heartbeats is dead, and its share of absorb.rateLimit goes
-- back to the others.
CREATE TABLE cluster_replicas (
    tenant     text        NOT NULL,
    replica    text        NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, replica)
);

-- Leases: the background work of a tenant runs on the replica holding its
-- lease, renewed before expires_at; another replica takes an expired one.
-- status is what the holder says of its work at each renewal (the sync's
-- state, JSON), for the other replicas' readiness.
CREATE TABLE cluster_leases (
    tenant     text        NOT NULL,
    name       text        NOT NULL,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL,
    status     jsonb,
    PRIMARY KEY (tenant, name)
);

-- The store of one or more portals ("tenants"): every table has the tenant
-- first in its primary key and every query names it.
--
-- Values a client or Absorb chose (ids, names, documents) are bytea, so
-- they are kept byte for byte as bbolt keeps them (PostgreSQL text refuses
-- NUL and invalid UTF-8) and compare in byte order, which decides walks and
-- id order as it does in bbolt. Times are Unix nanoseconds (bigint), so they
-- read back to the nanosecond; NULL is the zero time. uint64 versions are
-- stored as the bigint with the same bits.

CREATE TABLE users (
    tenant        text    NOT NULL,
    id            bytea   NOT NULL,
    absorb_id     bytea,             -- NULL when unset; unique
    user_name     bytea   NOT NULL,
    user_name_key bytea,             -- FoldUserName(user_name), NULL when empty; unique
    external_id   bytea,             -- NULL when empty; exact, not unique
    emails        bytea[] NOT NULL,
    active        boolean NOT NULL,
    resource      bytea,
    created       bigint,
    last_modified bigint,
    version       bigint  NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE UNIQUE INDEX users_user_name_key ON users (tenant, user_name_key);
CREATE UNIQUE INDEX users_absorb_id ON users (tenant, absorb_id);
CREATE INDEX users_external_id ON users (tenant, external_id, id);
CREATE INDEX users_active ON users (tenant, active);

-- FoldCase of each distinct email of a user.
CREATE TABLE user_emails (
    tenant    text  NOT NULL,
    email_key bytea NOT NULL,
    user_id   bytea NOT NULL,
    PRIMARY KEY (tenant, email_key, user_id)
);

-- The walk indexes: key is storage.UserWalkKeys' key (the sort value, then
-- the id), so a page of users in any order is a range of this index, read
-- from the index alone (it includes user_id).
CREATE TABLE user_walk (
    tenant  text     NOT NULL,
    idx     smallint NOT NULL,
    key     bytea    NOT NULL,
    user_id bytea    NOT NULL,
    PRIMARY KEY (tenant, idx, key) INCLUDE (user_id)
);
CREATE INDEX user_walk_user ON user_walk (tenant, user_id);

-- Changes whenever a user is written, on any replica (UsersEpoch).
CREATE SEQUENCE users_epoch;

CREATE TABLE absorb_users (
    tenant      text  NOT NULL,
    id          bytea NOT NULL,
    username    bytea NOT NULL,
    external_id bytea NOT NULL,
    date_edited bytea NOT NULL,
    raw         bytea,
    PRIMARY KEY (tenant, id)
);
-- The mirror's look-ups: the last write of a key wins, as in bbolt.
CREATE TABLE absorb_username (
    tenant    text  NOT NULL,
    key       bytea NOT NULL,   -- FoldUserName(username)
    absorb_id bytea NOT NULL,
    PRIMARY KEY (tenant, key)
);
CREATE TABLE absorb_external_id (
    tenant    text  NOT NULL,
    key       bytea NOT NULL,
    absorb_id bytea NOT NULL,
    PRIMARY KEY (tenant, key)
);

CREATE TABLE groups (
    tenant        text    NOT NULL,
    id            bytea   NOT NULL,
    display_name  bytea   NOT NULL,
    display_key   bytea,            -- FoldCase(display_name), NULL when empty
    external_id   bytea,            -- NULL when empty; exact, not unique
    resource      bytea,
    created       bigint,
    last_modified bigint,
    version       bigint  NOT NULL,
    -- Kept by the membership writes: writes to one group's members are
    -- serialised on this row anyway, and a read of the group costs no count.
    member_count  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX groups_display_key ON groups (tenant, display_key, id);
CREATE INDEX groups_external_id ON groups (tenant, external_id, id);

CREATE TABLE members (
    tenant   text  NOT NULL,
    group_id bytea NOT NULL,
    user_id  bytea NOT NULL,
    display  bytea NOT NULL,
    PRIMARY KEY (tenant, group_id, user_id)
);
CREATE INDEX members_user ON members (tenant, user_id, group_id);

CREATE TABLE intents (
    tenant   text  NOT NULL,
    key      bytea NOT NULL,   -- FoldUserName(userName)
    scim_id  bytea NOT NULL,
    resource bytea,
    started  bigint,
    PRIMARY KEY (tenant, key)
);

CREATE TABLE holds (
    tenant     text  NOT NULL,
    user_id    bytea NOT NULL,
    absorb_id  bytea NOT NULL,
    user_name  bytea NOT NULL,
    kind       bytea NOT NULL,
    time       bigint,
    credential bytea NOT NULL,
    request_id bytea NOT NULL,
    resource   bytea,
    PRIMARY KEY (tenant, user_id)
);

-- Audit sequence numbers come from one sequence shared by every tenant:
-- never reused (after a prune or a rolled back write), increasing, with
-- gaps, and no row every writer must lock.
CREATE SEQUENCE audit_seq;
CREATE TABLE audit (
    tenant        text    NOT NULL,
    seq           bigint  NOT NULL,
    time          bigint,
    credential    bytea   NOT NULL,
    request_id    bytea   NOT NULL,
    operation     bytea   NOT NULL,
    resource_type bytea   NOT NULL,
    resource_id   bytea   NOT NULL,
    absorb_id     bytea   NOT NULL,
    user_name     bytea   NOT NULL,
    outcome       bytea   NOT NULL,
    change_field  bytea[] NOT NULL,
    change_from   bytea[] NOT NULL,
    change_to     bytea[] NOT NULL,
    PRIMARY KEY (tenant, seq)
);

CREATE TABLE cursors (
    tenant text  NOT NULL,
    name   bytea NOT NULL,
    value  bytea NOT NULL,
    PRIMARY KEY (tenant, name)
);

CREATE TABLE rule_states (
    tenant  text  NOT NULL,
    user_id bytea NOT NULL,
    state   bytea NOT NULL,
    PRIMARY KEY (tenant, user_id)
);

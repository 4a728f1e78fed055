-- The lookup at contact time (c360/serving): what it reads, whom it serves, what it did.
-- Schema serving is published with published (c360/serving/keymap.py) and read by the
-- lookup role only: it holds first names and birth years, which BI never gets.
create schema if not exists serving;

-- Every key a golden customer's records hold, as the keyed hash of its normalized value
-- (the suppression list's hash): the lookup role can confirm a key it is given, never list keys.
create table if not exists serving.lookup_keys (
    key_hash    text not null,   -- hex HMAC-SHA256 of '<key_kind>:<normalized value>'
    key_kind    text not null check (key_kind in ('phone', 'email', 'card', 'account')),
    customer_id text not null,
    primary key (key_hash, customer_id)
);

-- Enough of each golden customer, erased ones left out, for an agent to choose among a
-- household's candidates; a restricted customer is shown as restricted and nothing else.
create table if not exists serving.lookup_customers (
    customer_id   text    primary key,
    first_name    text,
    birth_year    integer,
    is_restricted boolean not null
);

-- One bearer token per calling system, kept as its SHA-256 (tokens are random, so an
-- unkeyed hash cannot be reversed); a new token for a system replaces the old one.
create table if not exists ops.lookup_tokens (
    system     text        primary key,
    token_hash text        not null unique,
    created_at timestamptz not null default now()
);

-- Every lookup: who asked, when, for which kind of key and what came back. The key is its
-- keyed hash only (null when it was no key of its kind); an erasure clears the hashes of
-- the person's keys (c360/serving/audit.py).
create table if not exists ops.lookup_audit (
    audit_id     bigserial   primary key,
    looked_up_at timestamptz not null default now(),
    caller       text        not null,   -- the calling system, or cli:<local user>
    key_kind     text        not null,
    key_hash     text,
    result       text        not null check (result in ('found', 'candidates', 'restricted', 'none', 'invalid'))
);
create index if not exists lookup_audit_key_hash_idx on ops.lookup_audit (key_hash);

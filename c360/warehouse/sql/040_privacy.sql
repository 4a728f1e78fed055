-- Data-subject requests (contracts/privacy.yml): what the privacy step
-- (c360/privacy) decided and did. Nothing here holds a person's identifiers in
-- clear: the suppression list keeps keyed hashes (HMAC-SHA256, the key comes
-- from the environment), the logs keep request ids, customer ids and counts.

-- hmac() for the keyed hashes; a trusted extension (no superuser needed).
create extension if not exists pgcrypto;

-- Identifiers of erased persons. Applied to every raw table after each night's
-- ingest, so a later delivery or a re-load of old files cannot bring them back.
create table if not exists ops.privacy_suppressions (
    identifier_hash text        primary key,   -- hex HMAC-SHA256 of '<identifier_type>:<normalized value>'
    identifier_type text        not null,      -- email, phone, account, card, web_user, anonymous_id, interaction_id, request
    request_id      text        not null,      -- the erasure that added it
    suppressed_at   timestamptz not null default now()
);

-- One row per request carried out: which golden customer it was matched to and
-- on which identifiers. A decision once made sticks (marts.privacy_request_matches
-- reads it back), so a restriction holds even when its file is never delivered
-- again or its key later turns out to be shared.
create table if not exists ops.privacy_request_log (
    request_id    text        primary key,
    request_type  text        not null check (request_type in ('erasure', 'restrict', 'access')),
    outcome       text        not null check (outcome in ('erased', 'restricted', 'exported')),
    customer_id   text        not null,
    matched_on    text        not null,
    business_date date,
    handled_at    timestamptz not null default now(),
    detail        text                        -- e.g. where an access export was written
);
-- every lookup at contact time reads the outcomes of the customers a key finds
create index if not exists privacy_request_log_customer_idx on ops.privacy_request_log (customer_id);

-- Requests reported to the privacy owner as unmatched or ambiguous, once per status.
create table if not exists ops.privacy_request_alerts (
    request_id text        not null,
    status     text        not null,
    alert_id   bigint      not null,
    alerted_at timestamptz not null default now(),
    primary key (request_id, status)
);

-- What each erasure and each nightly suppression pass removed: counts per
-- relation, never the data itself. request_id is null for the nightly pass.
create table if not exists ops.privacy_erasure_log (
    log_id        bigserial   primary key,
    request_id    text,
    business_date date,
    relation      text        not null,
    action        text        not null check (action in ('deleted', 'pseudonymized', 'redacted')),
    row_count     bigint      not null,
    logged_at     timestamptz not null default now()
);
create index if not exists privacy_erasure_log_request_idx on ops.privacy_erasure_log (request_id);

-- When each nightly suppression pass started: the next pass looks at rows loaded since.
create table if not exists ops.privacy_suppression_runs (
    run_id        bigserial   primary key,
    business_date date,
    started_at    timestamptz not null,
    finished_at   timestamptz not null default now()
);

-- The first lines of landing-zone records an erasure took out of raw or quarantine, as
-- the file was when loaded (content_hash): the privacy step removes those records from
-- the files still kept, then forgets the note. Line numbers, no data.
create table if not exists ops.privacy_landing_lines (
    ledger_id    bigint      not null references ops.load_ledger (ledger_id) on delete cascade,
    line_number  bigint      not null,
    content_hash text        not null,
    noted_at     timestamptz not null default now(),
    primary key (ledger_id, line_number)
);

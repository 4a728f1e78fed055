-- Operational relations that data engineers and owners query (docs/contracts.md).
create schema if not exists ops;

create table if not exists ops.load_ledger (
    ledger_id        bigserial primary key,
    source_system    text        not null,
    business_date    date        not null,
    source_name      text        not null,   -- file path relative to the landing zone, or table
    content_hash     text,                   -- sha256 of the file bytes; null for extracts
    rows_read        bigint      not null,
    rows_loaded      bigint      not null,
    rows_quarantined bigint      not null,
    status           text        not null check (status in ('loaded', 'quarantined', 'failed')),
    message          text,
    loaded_at        timestamptz not null default now(),
    constraint load_ledger_rows_balance check (rows_read = rows_loaded + rows_quarantined),
    constraint load_ledger_one_per_source unique (source_system, business_date, source_name)
);

create table if not exists ops.quarantine (
    quarantine_id  bigserial primary key,
    source_system  text        not null,
    business_date  date        not null,
    source_name    text        not null,
    line_number    bigint,                  -- null when the whole file is refused
    raw_record     text,
    reason         text        not null,
    quarantined_at timestamptz not null default now()
);
create index if not exists quarantine_source_idx
    on ops.quarantine (source_system, business_date, source_name);

create table if not exists ops.alerts (
    alert_id      bigserial primary key,
    sent_at       timestamptz not null default now(),
    owner         text        not null,
    owner_email   text,
    source_system text        not null,
    business_date date,
    rule          text        not null,
    rows_affected bigint      not null default 0,
    message       text        not null
);

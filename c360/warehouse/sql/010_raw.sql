-- The raw layer: every source field as delivered, plus load metadata.
--
-- File silos keep their fields as text, exactly as delivered (an empty CSV field
-- is NULL); the loader has already checked that each value parses with the
-- contract's format, so staging can cast without failing. Rows that do not
-- parse are in ops.quarantine instead. Finance rows keep the source's types,
-- one row per version (account_id, updated_at), because billing updates in place.
--
-- Load metadata on every table:
--   _batch_id       ops.load_ledger.ledger_id of the file or extract
--   _business_date  the business date whose delivery held the row
--   _source_name    file path relative to the landing zone, or source table
--   _line_number    physical line where the record starts (files only); 0 when an
--                   erasure removed the record from the file (c360/privacy/landing.py)
--   _loaded_at      when it was loaded
--
-- _batch_id has no index: the rows of a batch are looked for only when its file
-- is delivered again with other content (to replace them), and then in the one
-- date partition that can hold them, which a scan reads quickly. An index on it
-- would be built at every date's first load, for a look-up that rarely happens;
-- 012_raw_batch_indexes.sql drops those that earlier versions of this file made.
--
-- The tables of the silos of delimited files (contact center, store, privacy, and
-- any silo added so) are made from their contracts right after this file, with
-- their columns as text and the load metadata below (c360/ingest/contracts.py,
-- raw_file_tables_sql); the web's and the finance tables are here.
--
-- Every raw table is partitioned by _business_date, one partition per date
-- (named <table>_YYYYMMDD), which the loader creates in the transaction that
-- loads the date: see c360/ingest/partitions.py. A finance version's key is
-- (id, updated_at); the key index holds _business_date too, as a partitioned
-- table's unique index must, and the extract keeps a version once across dates
-- (c360/ingest/finance.py). A warehouse made before that has plain tables; they
-- step aside here (renamed <table>_unpartitioned, indexes too) and
-- 013_raw_partitions.sql moves their rows into partitions.
do $$
declare
    legacy record;
    legacy_index record;
begin
    for legacy in
        select c.oid, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and (n.nspname, c.relname) in (
            ('raw_contact_center', 'interactions'), ('raw_web', 'events'),
            ('raw_store', 'pos_lines'), ('raw_store', 'loyalty_members'), ('raw_privacy', 'requests'),
            ('raw_finance', 'accounts'), ('raw_finance', 'invoices'), ('raw_finance', 'payments'))
    loop
        for legacy_index in select indexrelid::regclass as name, c.relname
                            from pg_index join pg_class c on c.oid = indexrelid
                            where indrelid = legacy.oid loop
            execute format('alter index %s rename to %I', legacy_index.name,
                           left(legacy_index.relname, 48) || '_unpartitioned');
        end loop;
        execute format('alter table %s rename to %I', legacy.oid::regclass,
                       legacy.relname || '_unpartitioned');
    end loop;
end
$$;

create schema if not exists raw_finance;
create schema if not exists raw_web;

create table if not exists raw_finance.accounts (
    account_id     text        not null,
    first_name     text,
    last_name      text,
    email          text,
    phone          text,
    street         text,
    house_number   text,
    postal_code    text,
    city           text,
    country_code   char(2)     not null,
    date_of_birth  date,
    status         text        not null,
    created_at     timestamptz not null,
    updated_at     timestamptz not null,
    _batch_id      bigint      not null,
    _business_date date        not null,
    _source_name   text        not null,
    _loaded_at     timestamptz not null default now(),
    primary key (account_id, updated_at, _business_date)
) partition by list (_business_date);

create table if not exists raw_finance.invoices (
    invoice_id      text          not null,
    account_id      text          not null,
    issued_on       date          not null,
    due_on          date          not null,
    product_line    text          not null,
    amount_excl_vat numeric(12,2) not null,
    vat_amount      numeric(12,2) not null,
    currency        char(3)       not null,
    status          text          not null,
    updated_at      timestamptz   not null,
    _batch_id       bigint        not null,
    _business_date  date          not null,
    _source_name    text          not null,
    _loaded_at      timestamptz   not null default now(),
    primary key (invoice_id, updated_at, _business_date)
) partition by list (_business_date);

create table if not exists raw_finance.payments (
    payment_id     text          not null,
    invoice_id     text          not null,
    paid_at        timestamptz   not null,
    amount         numeric(12,2) not null,
    method         text          not null,
    updated_at     timestamptz   not null,
    _batch_id      bigint        not null,
    _business_date date          not null,
    _source_name   text          not null,
    _loaded_at     timestamptz   not null default now(),
    primary key (payment_id, updated_at, _business_date)
) partition by list (_business_date);

-- Watermark per finance table: the highest updated_at already taken.
create table if not exists raw_finance.extract_watermarks (
    source_table   text        primary key,
    high_watermark timestamptz not null,
    business_date  date        not null,
    updated_at     timestamptz not null default now()
);

create table if not exists raw_web.events (
    event_id       text        not null,  -- delivered at least once: kept once (web.py)
    event_type     text        not null,
    occurred_at    text        not null,              -- ISO 8601 UTC as delivered
    anonymous_id   text,
    user_id        text,
    session_id     text,
    page_url       text,
    referrer       text,
    utm            jsonb,
    traits         jsonb,
    properties     jsonb,
    _batch_id      bigint      not null,
    _business_date date        not null,
    _source_name   text        not null,
    _line_number   bigint      not null,
    _loaded_at     timestamptz not null default now()
) partition by list (_business_date);
-- The key compares event ids byte by byte (collation "C"), which is what makes it
-- cheap to build when a date's partition is attached; equality, all the key is
-- for, is the same under every collation. A primary key cannot have a collation
-- other than its column's (015_web_event_key.sql replaces the earlier one).
create unique index if not exists events_event_id_key
    on raw_web.events (event_id collate "C", _business_date);

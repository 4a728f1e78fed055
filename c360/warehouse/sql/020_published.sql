-- The schema BI reads, and the record of every publication into it.
create schema if not exists published;

create table if not exists ops.publications (
    publication_id bigserial primary key,
    business_date  date,
    relation       text        not null,   -- e.g. published.customer_360
    source         text        not null,   -- the candidate it was copied from
    row_count      bigint      not null,
    published_at   timestamptz not null default now()
);

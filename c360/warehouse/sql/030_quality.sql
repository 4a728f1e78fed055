-- The quality gate's records (contracts/QUALITY.md).

-- Segment sizes at every publication of published.customer_segments: the gate
-- compares a candidate segment with its last published size. Recorded by a
-- trigger inside the publishing transaction, so sizes and publication agree.
create table if not exists ops.published_segment_sizes (
    publication_id bigint      not null references ops.publications,
    business_date  date,
    segment        text        not null,
    size           bigint      not null,
    published_at   timestamptz not null default now(),
    primary key (publication_id, segment)
);

create or replace function ops.record_published_segment_sizes() returns trigger
language plpgsql as $$
begin
    -- Only a table with the contract's `segment` column has sizes to record;
    -- bookkeeping must never make a publication fail.
    if exists (
        select 1 from information_schema.columns
        where table_schema = 'published' and table_name = 'customer_segments' and column_name = 'segment'
    ) then
        execute 'insert into ops.published_segment_sizes (publication_id, business_date, segment, size)
                 select $1, $2, segment, count(*) from published.customer_segments group by segment'
            using new.publication_id, new.business_date;
    end if;
    return new;
end
$$;

create or replace trigger publications_segment_sizes
    after insert on ops.publications
    for each row when (new.relation = 'published.customer_segments')
    execute function ops.record_published_segment_sizes();

-- Every expectation of every gate run: who ran it, when, for which business
-- date, what passed and what failed, with masked example rows.
create table if not exists ops.quality_results (
    result_id       bigserial   primary key,
    run_name        text        not null,
    run_by          text        not null,
    run_at          timestamptz not null,
    business_date   date        not null,
    validation      text        not null,   -- the validation definition
    owner_area      text        not null,   -- silo or layer (config/owners.yml)
    suite           text        not null,
    expectation     text        not null,
    column_name     text,
    severity        text        not null default 'critical',  -- 'warning': told and counted, not blocking
    success         boolean     not null,
    rows_checked    bigint,
    unexpected_count bigint,
    observed_value  text,
    examples        jsonb       not null default '[]',
    error           text,                   -- the check could not run (e.g. a candidate not built)
    docs_url        text
);
-- Columns added after the table first shipped.
alter table ops.quality_results add column if not exists severity text not null default 'critical';
alter table ops.quality_results add column if not exists error text;
create index if not exists quality_results_date_idx on ops.quality_results (business_date, run_at);

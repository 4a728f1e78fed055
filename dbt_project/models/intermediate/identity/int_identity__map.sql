{#- The persisted identity map: an append-only log of which customer_id each
    source record was assigned, one row per change. It is the memory that keeps
    ids stable from night to night, so a full refresh must never rebuild it
    (full_refresh: false); nights that change nothing append nothing.
    marts.customer_identity_map publishes it. -#}
{{ config(
    materialized='incremental',
    full_refresh=false,
    on_schema_change='fail',
    post_hook="create index if not exists int_identity__map_record_idx on {{ this }} (record_id, run_seq desc)"
) }}
{#- Where the map does not exist yet but marts.customer_identity_map, its published copy,
    does (a map lost, or built before it lived here), it starts with that copy's rows, so ids
    stay what they were. -#}
{%- set former = adapter.get_relation(target.database, 'marts', 'customer_identity_map')
                if execute and not is_incremental() else none -%}
{%- set adopted = former if former is not none and former.is_table else none %}

with clusters as (
    select * from {{ ref('int_identity__clusters') }}
),

history as (
    {% if is_incremental() %}
    select record_id, customer_id, run_seq from {{ this }}
    {% elif adopted %}
    select record_id, customer_id, run_seq from {{ adopted }}
    {% else %}
    select null::text as record_id, null::text as customer_id, null::int as run_seq where false
    {% endif %}
),

this_run as (
    select coalesce(max(run_seq), 0) + 1 as run_seq from history
),

current_map as (
    select distinct on (record_id) record_id, customer_id
    from history
    order by record_id, run_seq desc
),

customer_age as (
    select customer_id, min(run_seq) as first_run
    from history
    group by customer_id
),

-- which existing ids each cluster holds, and for how many of its records
claims as (
    select c.cluster_id, m.customer_id, count(*) as record_count
    from clusters as c
    join current_map as m using (record_id)
    group by c.cluster_id, m.customer_id
),

-- an id split over several clusters stays with the one holding most of it
id_owners as (
    select distinct on (customer_id) customer_id, cluster_id
    from claims
    order by customer_id, record_count desc, cluster_id
),

-- a cluster holding several ids (a merge) keeps the oldest
kept_ids as (
    select distinct on (o.cluster_id) o.cluster_id, o.customer_id
    from id_owners as o
    join customer_age as a using (customer_id)
    order by o.cluster_id, a.first_run, o.customer_id
),

-- a new customer's id derives from its earliest record, so re-running gives the
-- same id; an id once used is never reused for someone else
new_ids as (
    select
        c.cluster_id,
        case
            when exists (select 1 from customer_age as a where a.customer_id = 'C' || upper(left(md5(c.cluster_id), 16)))
                then 'C' || upper(left(md5(c.cluster_id || '#' || (select run_seq from this_run)), 16))
            else 'C' || upper(left(md5(c.cluster_id), 16))
        end as customer_id
    from (select distinct cluster_id from clusters) as c
    where not exists (select 1 from kept_ids as k where k.cluster_id = c.cluster_id)
),

assigned as (
    select
        c.record_id,
        c.source_system,
        c.source_key,
        coalesce(k.customer_id, n.customer_id) as customer_id,
        m.customer_id as previous_customer_id
    from clusters as c
    left join kept_ids as k using (cluster_id)
    left join new_ids as n using (cluster_id)
    left join current_map as m using (record_id)
),

changes as (
    select
        a.record_id,
        a.source_system,
        a.source_key,
        a.customer_id,
        a.previous_customer_id,
        case
            when a.previous_customer_id is null then 'new'
            when not exists (select 1 from kept_ids as k where k.customer_id = a.previous_customer_id) then 'merged'
            else 'moved'
        end as change_type,
        r.run_seq,
        {{ business_date() }} as business_date,
        now() as assigned_at
    from assigned as a
    cross join this_run as r
    where a.previous_customer_id is distinct from a.customer_id
),

final as (
    select * from changes
    {% if adopted %}
    union all
    select record_id, source_system, source_key, customer_id, previous_customer_id, change_type,
           run_seq, business_date, assigned_at
    from {{ adopted }}
    {% endif %}
)

select * from final

-- Customers merged into another: when a new record or new evidence joins two
-- customers, the older id survives and the other is listed here with the id it
-- went into, and the id that finally survives if that one merged again.
with recursive identity_map as (
    select * from {{ ref('int_identity__map') }}
),

moves as (
    select
        previous_customer_id as merged_customer_id,
        customer_id as into_customer_id,
        run_seq,
        business_date,
        count(*) as records_moved
    from identity_map
    where change_type = 'merged'
    group by previous_customer_id, customer_id, run_seq, business_date
),

merges as (
    select distinct on (merged_customer_id) *
    from moves
    order by merged_customer_id, records_moved desc, into_customer_id
),

chains(merged_customer_id, surviving_customer_id, depth) as (
    select merged_customer_id, into_customer_id, 1 from merges
    union all
    select c.merged_customer_id, m.into_customer_id, c.depth + 1
    from chains as c
    join merges as m on m.merged_customer_id = c.surviving_customer_id
    where c.depth < 100
),

final as (
    select
        m.merged_customer_id,
        m.into_customer_id,
        s.surviving_customer_id,
        m.run_seq as merged_run_seq,
        m.business_date as merged_business_date,
        m.records_moved
    from merges as m
    join (
        select distinct on (merged_customer_id) merged_customer_id, surviving_customer_id
        from chains
        order by merged_customer_id, depth desc
    ) as s using (merged_customer_id)
)

select * from final

-- Every identity-bearing source record once, with the customer it belongs to
-- (docs/contracts.md). Records no longer delivered by any silo leave it.
with identity_map as (
    select * from {{ ref('int_identity__map') }}
),

clusters as (
    select * from {{ ref('int_identity__clusters') }}
),

current_map as (
    select distinct on (record_id)
        record_id,
        customer_id,
        run_seq as assigned_run_seq
    from identity_map
    order by record_id, run_seq desc
),

final as (
    select
        m.customer_id::text as customer_id,
        c.source_system::text as source_system,
        c.source_key::text as source_key,
        c.resolution::text as resolution,
        m.assigned_run_seq::integer as assigned_run_seq
    from clusters as c
    join current_map as m using (record_id)
)

select * from final

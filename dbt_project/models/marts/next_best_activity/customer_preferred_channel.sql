-- The channel each profiled customer turns to per product line (int_channels__preferred),
-- as of the business date; erased and restricted customers are not in customer_360, so
-- they are not here.
with preferred as (
    select * from {{ ref('int_channels__preferred') }}
),

customers as (
    select customer_id, business_date from {{ ref('customer_360') }}
),

final as (
    select
        p.customer_id::text as customer_id,
        p.product_line::text as product_line,
        c.business_date::date as business_date,
        p.preferred_channel::text as preferred_channel,
        p.confidence::numeric(4, 3) as confidence,
        p.evidence_count::integer as evidence_count
    from preferred as p
    join customers as c using (customer_id)
)

select * from final

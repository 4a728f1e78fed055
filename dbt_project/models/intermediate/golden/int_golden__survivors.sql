-- The surviving value of each golden attribute per customer: the most complete,
-- then the most trusted source (survivorship_rules), then the most recent.
with candidates as (
    select * from {{ ref('int_golden__attribute_candidates') }}
),

final as (
    select distinct on (customer_id, attribute)
        customer_id,
        attribute,
        value,
        source_system,
        source_key,
        observed_at
    from candidates
    order by customer_id, attribute, completeness_rank, trust_rank, observed_at desc nulls last, source_key
)

select * from final

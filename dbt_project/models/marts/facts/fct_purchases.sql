-- Every purchase line of every channel (int_facts__purchases, which the 360 metrics
-- read as well).
with purchases as (
    select * from {{ ref('int_facts__purchases') }}
),

final as (
    select * from purchases
)

select * from final

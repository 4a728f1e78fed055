-- Customers merged into another, and the id that finally survives (int_identity__merges).
with merges as (
    select * from {{ ref('int_identity__merges') }}
),

final as (
    select * from merges
)

select * from final

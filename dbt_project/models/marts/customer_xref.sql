-- The outward contract: every identity-bearing source record once, with the customer
-- it belongs to. Resolved in intermediate (int_identity__xref), where the golden
-- record and the facts read it.
with xref as (
    select * from {{ ref('int_identity__xref') }}
),

final as (
    select * from xref
)

select * from final

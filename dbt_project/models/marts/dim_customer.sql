-- The golden record, one row per customer (int_golden__records, which the 360
-- metrics read as well).
with golden_records as (
    select * from {{ ref('int_golden__records') }}
),

final as (
    select * from golden_records
)

select * from final

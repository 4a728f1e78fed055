-- Every data-subject request with the golden customer it names, or unmatched or
-- ambiguous (int_privacy__request_matches, which consent reads as well).
with matches as (
    select * from {{ ref('int_privacy__request_matches') }}
),

final as (
    select * from matches
)

select * from final

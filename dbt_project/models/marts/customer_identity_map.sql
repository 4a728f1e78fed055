-- The persisted identity map (int_identity__map), for data engineers and the
-- privacy step's access exports.
with identity_map as (
    select * from {{ ref('int_identity__map') }}
),

final as (
    select * from identity_map
)

select * from final

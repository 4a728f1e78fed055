-- The channels facts are keyed by (seed bi_channels): where a purchase, contact or visit
-- happened, with a description and the silo that tells of it.
with channels as (
    select * from {{ ref('bi_channels') }}
),

final as (
    select
        channel::text as channel,
        description::text as description,
        source_system::text as source_system
    from channels
)

select * from final

-- Web events with their customer, engagement points and product line
-- (int_facts__web_events, which the 360 metrics read as well).
with web_events as (
    select * from {{ ref('int_facts__web_events') }}
),

final as (
    select * from web_events
)

select * from final

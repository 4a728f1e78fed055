-- Contact-center interactions, one row each, on the channel they came through (phone, chat,
-- e-mail). The customer only where customer_360 profiles them, so the key joins.
with contacts as (
    select * from {{ ref('int_facts__contacts') }}
),

profiled as (
    select customer_id from {{ ref('customer_360') }}
),

final as (
    select
        c.interaction_id::text as interaction_id,
        {{ date_key('c.contact_date') }} as date_key,
        c.contact_date::date as contact_date,
        c.started_at::timestamptz as started_at,
        c.channel::text as channel,
        p.customer_id::text as customer_id,
        c.direction::text as direction,
        c.reason::text as reason,
        c.is_complaint::boolean as is_complaint,
        c.is_resolved::boolean as is_resolved,
        c.is_first_contact_resolution::boolean as is_first_contact_resolution,
        c.csat::integer as csat,
        c.handle_seconds::integer as handle_seconds,
        c.wait_seconds::integer as wait_seconds
    from contacts as c
    left join profiled as p on p.customer_id = c.customer_id
)

select * from final

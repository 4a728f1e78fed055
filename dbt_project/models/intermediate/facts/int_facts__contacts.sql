-- Contact-center interactions, one row each, with the customer where the agent
-- captured any caller detail (an anonymous contact keeps its row, without customer).
with xref as (
    select * from {{ ref('int_identity__xref') }}
),

interactions as (
    select * from {{ ref('stg_contact_center__interactions') }}
),

final as (
    select
        i.interaction_id::text as interaction_id,
        x.customer_id::text as customer_id,
        i.started_at::timestamptz as started_at,
        {{ business_day('i.started_at') }} as contact_date,
        i.channel::text as channel,
        i.direction::text as direction,
        i.reason::text as reason,
        (i.reason = 'complaint')::boolean as is_complaint,
        i.is_resolved::boolean as is_resolved,
        i.is_first_contact_resolution::boolean as is_first_contact_resolution,
        i.csat::integer as csat,
        i.handle_seconds::integer as handle_seconds,
        i.wait_seconds::integer as wait_seconds
    from interactions as i
    left join xref as x on x.source_system = 'contact_center' and x.source_key = i.interaction_id
)

select * from final

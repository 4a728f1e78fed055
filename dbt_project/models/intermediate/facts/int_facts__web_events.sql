-- Web events, one row each, with the customer of the cookie once any visit on it was
-- identified (traits or a login): earlier anonymous visits on that cookie count for
-- the customer too. Cookies never identified keep their events without customer.
-- Each event carries its engagement points (macro engagement_points) and the product
-- line it is about, if any, from its properties or the product page it shows.
with xref as (
    select * from {{ ref('int_identity__xref') }}
),

events as (
    select * from {{ ref('stg_web__events') }}
),

with_product_line as (
    select
        e.*,
        x.customer_id,
        coalesce(
            e.properties ->> 'product_line',
            substring(e.properties ->> 'path' from '^/producten/([a-z_]+)')
        ) as product_line
    from events as e
    left join xref as x on x.source_system = 'web' and x.source_key = e.anonymous_id
),

final as (
    select
        event_id::text as event_id,
        customer_id::text as customer_id,
        session_id::text as session_id,
        event_type::text as event_type,
        occurred_at::timestamptz as occurred_at,
        {{ business_day('occurred_at') }} as event_date,
        product_line::text as product_line,
        ({{ engagement_points('event_type') }})::integer as engagement_points,
        -- looking at a product line without buying it there and then
        (event_type in ('page_view', 'product_configured', 'appointment_booked')
            and product_line is not null)::boolean as is_research
    from with_product_line
)

select * from final

-- One row per web touch of an identified customer up to the business date: a page view,
-- or the landing of a visit that came from a campaign (an event carrying utm). What the
-- touch showed (page path and title, the product line of a product page) and where its
-- visit came from (the landing's utm and referrer domain) are what attribution gives credit to
-- (int_attribution__credits). Anonymous visitors' touches cannot lead to a customer's
-- purchase and are left out; a cookie identified later counts from its first visit
-- (int_facts__web_events).
with business_date as (
    select {{ business_date() }} as business_date
),

web_events as (
    select * from {{ ref('int_facts__web_events') }}
),

delivered as (
    select * from {{ ref('stg_web__events') }}
),

events as (
    select
        e.event_id,
        e.customer_id,
        e.session_id,
        e.event_type,
        e.occurred_at,
        e.event_date,
        -- the path without query or fragment, which may carry an e-mail or a token
        coalesce(
            nullif(d.properties ->> 'path', ''),
            {{ url_path('d.page_url') }},
            '/'
        ) as page_path,
        nullif(btrim(d.properties ->> 'title'), '') as page_title,
        e.product_line,
        nullif(btrim(d.utm_source), '') as utm_source,
        nullif(btrim(d.utm_medium), '') as utm_medium,
        nullif(btrim(d.utm_campaign), '') as utm_campaign,
        {{ url_domain('d.referrer') }} as referrer_domain
    from web_events as e
    inner join delivered as d on d.event_id = e.event_id
    cross join business_date as b
    where e.customer_id is not null
      and e.event_date <= b.business_date
),

-- A visit's campaign and referrer are those it landed with, until it lands again from a
-- campaign: every page between counts for them (later pages carry no utm, and the site
-- itself as referrer).
landings as (
    select
        *,
        coalesce(utm_source, utm_medium, utm_campaign) is not null as is_campaign_landing,
        count(*) filter (where coalesce(utm_source, utm_medium, utm_campaign) is not null) over (
            partition by customer_id, session_id order by occurred_at, event_id
        ) as landing_number
    from events
),

touches as (
    select
        *,
        first_value(utm_source) over landing as landing_utm_source,
        first_value(utm_medium) over landing as landing_utm_medium,
        first_value(utm_campaign) over landing as landing_utm_campaign,
        first_value(referrer_domain) over landing as landing_referrer_domain
    from landings
    window landing as (partition by customer_id, session_id, landing_number order by occurred_at, event_id)
),

final as (
    select
        event_id::text as touch_id,
        customer_id::text as customer_id,
        session_id::text as session_id,
        event_type::text as event_type,
        occurred_at::timestamptz as touched_at,
        event_date::date as touch_date,
        page_path::text as page_path,
        page_title::text as page_title,
        product_line::text as product_line,
        landing_utm_source::text as utm_source,
        landing_utm_medium::text as utm_medium,
        landing_utm_campaign::text as utm_campaign,
        landing_referrer_domain::text as referrer_domain,
        is_campaign_landing::boolean as is_campaign_landing
    from touches
    where event_type = 'page_view' or is_campaign_landing
)

select * from final

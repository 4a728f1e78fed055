-- Web visits, one row per session: when it started and ended, how many events and pages,
-- the page it landed on (path without query), the campaign and referrer it came with, the
-- first product line it looked at, the store of an appointment booked in it, and the
-- customer once the cookie was identified (only where customer_360 profiles them).
with events as (
    select * from {{ ref('int_facts__web_events') }}
),

delivered as (
    select * from {{ ref('stg_web__events') }}
),

profiled as (
    select customer_id from {{ ref('customer_360') }}
),

described as (
    select
        e.session_id,
        e.event_id,
        e.customer_id,
        e.event_type,
        e.occurred_at,
        e.product_line,
        e.engagement_points,
        coalesce(nullif(d.properties ->> 'path', ''), {{ url_path('d.page_url') }}, '/') as page_path,
        nullif(btrim(d.utm_source), '') as utm_source,
        nullif(btrim(d.utm_medium), '') as utm_medium,
        nullif(btrim(d.utm_campaign), '') as utm_campaign,
        {{ url_domain('d.referrer') }} as referrer_domain,
        case when e.event_type = 'appointment_booked' then nullif(btrim(d.properties ->> 'store_code'), '') end
            as appointment_store_code
    from events as e
    inner join delivered as d on d.event_id = e.event_id
    where e.session_id is not null
),

sessions as (
    select
        session_id,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as event_count,
        count(*) filter (where event_type = 'page_view') as page_view_count,
        count(distinct page_path) filter (where event_type = 'page_view') as distinct_page_count,
        count(*) filter (where event_type = 'order_completed') as order_count,
        sum(engagement_points) as engagement_points,
        min(customer_id) as customer_id,
        (array_agg(page_path order by occurred_at, event_id))[1] as landing_page,
        (array_agg(utm_source order by occurred_at, event_id))[1] as utm_source,
        (array_agg(utm_medium order by occurred_at, event_id))[1] as utm_medium,
        (array_agg(utm_campaign order by occurred_at, event_id))[1] as utm_campaign,
        (array_agg(referrer_domain order by occurred_at, event_id))[1] as referrer_domain,
        (array_agg(product_line order by occurred_at, event_id)
            filter (where product_line is not null))[1] as product_line,
        (array_agg(appointment_store_code order by occurred_at, event_id)
            filter (where appointment_store_code is not null))[1] as store_code
    from described
    group by session_id
),

final as (
    select
        s.session_id::text as session_id,
        {{ date_key(business_day('s.started_at')) }} as date_key,
        {{ business_day('s.started_at') }}::date as session_date,
        s.started_at::timestamptz as started_at,
        s.ended_at::timestamptz as ended_at,
        'web'::text as channel,
        s.product_line::text as product_line,
        s.store_code::text as store_code,
        p.customer_id::text as customer_id,
        s.event_count::integer as event_count,
        s.page_view_count::integer as page_view_count,
        s.distinct_page_count::integer as distinct_page_count,
        s.order_count::integer as order_count,
        s.engagement_points::integer as engagement_points,
        s.landing_page::text as landing_page,
        s.utm_source::text as utm_source,
        s.utm_medium::text as utm_medium,
        s.utm_campaign::text as utm_campaign,
        s.referrer_domain::text as referrer_domain
    from sessions as s
    left join profiled as p on p.customer_id = s.customer_id
)

select * from final

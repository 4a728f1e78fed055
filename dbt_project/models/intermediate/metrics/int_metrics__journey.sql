-- The customer's journey across channels, up to the business date: which channels
-- they bought each product line through, which lines they researched online, and
-- whether they research online and buy offline: a store purchase of a product line
-- at most ropo_window_days after looking at that line on the website.
with purchases as (
    select * from {{ ref('int_facts__purchases') }}
),

web_events as (
    select * from {{ ref('int_facts__web_events') }}
),

business_date as (
    select {{ business_date() }} as business_date
),

bought as (
    select p.customer_id, p.product_line, p.channel, p.purchased_at
    from purchases as p
    cross join business_date as d
    where p.customer_id is not null and not p.is_return and p.purchase_date <= d.business_date
),

researched as (
    select e.customer_id, e.product_line, e.occurred_at
    from web_events as e
    cross join business_date as d
    where e.customer_id is not null and e.is_research and e.event_date <= d.business_date
),

line_channels as (
    select customer_id, product_line, array_agg(distinct channel order by channel) as channels
    from bought
    group by customer_id, product_line
),

channels_by_line as (
    select customer_id, jsonb_object_agg(product_line, channels order by product_line) as purchase_channels_by_product_line
    from line_channels
    group by customer_id
),

research_lines as (
    select customer_id, array_agg(distinct product_line order by product_line) as researched_product_lines
    from researched
    group by customer_id
),

research_then_store as (
    select distinct b.customer_id
    from bought as b
    join researched as r
        on r.customer_id = b.customer_id
        and r.product_line = b.product_line
        and r.occurred_at <= b.purchased_at
        and b.purchased_at < r.occurred_at + interval '{{ var("ropo_window_days") }} days'
    where b.channel = 'store'
),

customers as (
    select customer_id from channels_by_line
    union
    select customer_id from research_lines
),

final as (
    select
        c.customer_id,
        coalesce(l.purchase_channels_by_product_line, '{}'::jsonb) as purchase_channels_by_product_line,
        coalesce(r.researched_product_lines, '{}'::text[]) as researched_product_lines,
        s.customer_id is not null as researches_online_buys_offline
    from customers as c
    left join channels_by_line as l using (customer_id)
    left join research_lines as r using (customer_id)
    left join research_then_store as s using (customer_id)
)

select * from final

-- Engagement per customer from the web touchpoints' points (macro engagement_points),
-- up to the business date. engagement_score decays: an event's points halve every
-- engagement_half_life_days days of age (an event on the business date counts fully),
-- so recent engagement weighs more than the same engagement long ago.
with events as (
    select * from {{ ref('int_facts__web_events') }}
),

business_date as (
    select {{ business_date() }} as business_date
),

engaging as (
    select e.customer_id, e.event_date, e.engagement_points, d.business_date - e.event_date as age_days
    from events as e
    cross join business_date as d
    where e.customer_id is not null and e.engagement_points > 0 and e.event_date <= d.business_date
),

final as (
    select
        customer_id,
        round(sum(engagement_points * {{ decay('age_days', var('engagement_half_life_days')) }}), 2) as engagement_score,
        sum(engagement_points) as engagement_points,
        max(event_date) as last_engagement_date
    from engaging
    group by customer_id
)

select * from final

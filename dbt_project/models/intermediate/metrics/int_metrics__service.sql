-- Contact-center load and quality per customer, up to the business date.
-- An open issue is a reason (billing, complaint, ...) whose latest contact in the
-- last open_issue_window_days days ended unresolved: the matter is still with us.
-- First-contact resolution and CSAT follow the agents' fields: the share of contacts
-- resolved without any earlier contact on the matter, and the mean survey score.
with contacts as (
    select * from {{ ref('int_facts__contacts') }}
),

business_date as (
    select {{ business_date() }} as business_date
),

known as (
    select c.*, d.business_date
    from contacts as c
    cross join business_date as d
    where c.customer_id is not null and c.contact_date <= d.business_date
),

latest_per_reason as (
    select distinct on (customer_id, reason)
        customer_id,
        reason,
        is_resolved,
        contact_date > business_date - {{ var('open_issue_window_days') }} as is_recent
    from known
    order by customer_id, reason, started_at desc, interaction_id desc
),

open_issues as (
    select customer_id, count(*) as open_issue_count
    from latest_per_reason
    where not is_resolved and is_recent
    group by customer_id
),

totals as (
    select
        customer_id,
        count(*) as contact_count,
        count(*) filter (where is_complaint) as complaint_count,
        round(avg(is_first_contact_resolution::int), 3) as first_contact_resolution_rate,
        round(avg(csat), 2) as csat_average,
        count(csat) as csat_responses,
        max(contact_date) as last_contact_date
    from known
    group by customer_id
),

final as (
    select t.*, coalesce(o.open_issue_count, 0) as open_issue_count
    from totals as t
    left join open_issues as o using (customer_id)
)

select * from final

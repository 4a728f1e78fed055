-- One row per profiled customer (golden, neither erased nor restricted) with the
-- metrics marketing, service and finance need, all as of one business date.
-- Customers without purchases, web engagement or contacts get zeros and empty lists,
-- so a segment rule never meets a NULL count.
with customers as (
    select * from {{ ref('int_metrics__customers') }}
),

business_date as (
    select {{ business_date() }} as business_date
),

value as (
    select * from {{ ref('int_metrics__value') }}
),

engagement as (
    select * from {{ ref('int_metrics__engagement') }}
),

service as (
    select * from {{ ref('int_metrics__service') }}
),

journey as (
    select * from {{ ref('int_metrics__journey') }}
),

final as (
    select
        c.customer_id::text as customer_id,
        d.business_date::date as business_date,
        c.country_code::text as country_code,
        c.source_systems::text[] as source_systems,
        c.email_sha256::text as email_sha256,
        c.marketing_consent::boolean as marketing_consent,
        c.consent_state::text as consent_state,
        c.marketing_consent_source::text as marketing_consent_source,
        c.marketing_consent_stated_at::timestamptz as marketing_consent_stated_at,
        coalesce(v.revenue_store, 0)::numeric(14, 2) as revenue_store,
        coalesce(v.revenue_web, 0)::numeric(14, 2) as revenue_web,
        coalesce(v.revenue_finance, 0)::numeric(14, 2) as revenue_finance,
        coalesce(v.total_revenue, 0)::numeric(14, 2) as total_revenue,
        coalesce(v.returned_amount, 0)::numeric(14, 2) as returned_amount,
        coalesce(v.purchase_count, 0)::integer as purchase_count,
        v.first_purchase_date::date as first_purchase_date,
        v.last_purchase_date::date as last_purchase_date,
        v.days_since_first_purchase::integer as days_since_first_purchase,
        v.days_since_last_purchase::integer as days_since_last_purchase,
        v.rfm_recency_score::integer as rfm_recency_score,
        v.rfm_frequency_score::integer as rfm_frequency_score,
        v.rfm_monetary_score::integer as rfm_monetary_score,
        (v.rfm_recency_score::text || v.rfm_frequency_score::text || v.rfm_monetary_score::text)::text as rfm_score,
        coalesce(v.historical_clv, 0)::numeric(14, 2) as historical_clv,
        coalesce(v.predicted_clv_12m, 0)::numeric(14, 2) as predicted_clv_12m,
        coalesce(e.engagement_score, 0)::numeric(12, 2) as engagement_score,
        coalesce(e.engagement_points, 0)::integer as engagement_points,
        e.last_engagement_date::date as last_engagement_date,
        coalesce(s.contact_count, 0)::integer as contact_count,
        coalesce(s.complaint_count, 0)::integer as complaint_count,
        coalesce(s.open_issue_count, 0)::integer as open_issue_count,
        s.first_contact_resolution_rate::numeric(4, 3) as first_contact_resolution_rate,
        s.csat_average::numeric(3, 2) as csat_average,
        coalesce(s.csat_responses, 0)::integer as csat_responses,
        s.last_contact_date::date as last_contact_date,
        coalesce(j.purchase_channels_by_product_line, '{}'::jsonb)::jsonb as purchase_channels_by_product_line,
        coalesce(j.researched_product_lines, '{}'::text[])::text[] as researched_product_lines,
        coalesce(j.researches_online_buys_offline, false)::boolean as researches_online_buys_offline
    from customers as c
    cross join business_date as d
    left join value as v using (customer_id)
    left join engagement as e using (customer_id)
    left join service as s using (customer_id)
    left join journey as j using (customer_id)
)

select * from final

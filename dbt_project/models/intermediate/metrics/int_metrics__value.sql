-- Value per profiled customer: recency, RFM scores and lifetime value.
--
-- RFM scores are quintiles among the profiled customers with at least one purchase:
-- score = ceil(5 * cume_dist), where cume_dist is the share of those buyers whose
-- value is at most the customer's (for recency: whose last purchase is at most as
-- recent), as numeric so 5 * 0.6 is 3, not 3.0000000000000004. 5 is best. Equal values get the same score, so a score can be empty when
-- many buyers tie (most buyers have one purchase, so they share one frequency score).
-- Customers without a purchase have no scores.
--
-- historical_clv is the net revenue to date (all channels, incl. VAT; no margin data).
-- predicted_clv_12m is a run-rate heuristic, not a fitted model: the warehouse holds
-- too little history (billing's last months, stores and web since the first load)
-- to fit and validate a BG/NBD or Gamma-Gamma model. It adds
--   recurring: billing revenue of the last clv_recurring_window_days days, annualised
--              (a contract that stopped billing contributes nothing);
--   retail:    store and web net revenue per day since the first retail purchase
--              (at least clv_retail_min_tenure_days, so one purchase is not
--              extrapolated to many), times 365, times the chance the buyer is still
--              active: 0.5 ^ (days since the last retail purchase / clv_activity_half_life_days).
-- Negative parts (more returned than bought) count as 0.
with customers as (
    select * from {{ ref('int_metrics__customers') }}
),

purchases as (
    select * from {{ ref('int_metrics__purchases') }}
),

business_date as (
    select {{ business_date() }} as business_date
),

joined as (
    select
        p.*,
        d.business_date
    from customers as c
    cross join business_date as d
    join purchases as p on p.customer_id = c.customer_id
),

with_days as (
    select
        *,
        business_date - first_purchase_date as days_since_first_purchase,
        business_date - last_purchase_date as days_since_last_purchase,
        business_date - first_retail_purchase_date + 1 as retail_tenure_days,
        business_date - last_retail_purchase_date as days_since_last_retail_purchase
    from joined
),

scored as (
    select
        *,
        case when purchase_count > 0 then
            ceil(5 * (cume_dist() over (partition by purchase_count > 0 order by last_purchase_date))::numeric)
        end as rfm_recency_score,
        case when purchase_count > 0 then
            ceil(5 * (cume_dist() over (partition by purchase_count > 0 order by purchase_count))::numeric)
        end as rfm_frequency_score,
        case when purchase_count > 0 then
            ceil(5 * (cume_dist() over (partition by purchase_count > 0 order by total_revenue))::numeric)
        end as rfm_monetary_score
    from with_days
),

final as (
    select
        customer_id,
        revenue_store,
        revenue_web,
        revenue_finance,
        total_revenue,
        returned_amount,
        purchase_count,
        first_purchase_date,
        last_purchase_date,
        days_since_first_purchase,
        days_since_last_purchase,
        rfm_recency_score::integer as rfm_recency_score,
        rfm_frequency_score::integer as rfm_frequency_score,
        rfm_monetary_score::integer as rfm_monetary_score,
        total_revenue as historical_clv,
        round(
            greatest(recent_finance_revenue, 0) * 365.0 / {{ var('clv_recurring_window_days') }}
            + coalesce(
                greatest(revenue_store + revenue_web, 0)
                / greatest(retail_tenure_days, {{ var('clv_retail_min_tenure_days') }}) * 365
                * {{ decay('days_since_last_retail_purchase', var('clv_activity_half_life_days')) }},
                0),
            2
        ) as predicted_clv_12m
    from scored
)

select * from final

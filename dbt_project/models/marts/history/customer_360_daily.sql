-- One row per profiled customer per business date: the 360's key metrics as they stood
-- that night, so BI can trend them. A night's rows replace that night's earlier rows
-- (delete+insert on business_date), so a re-run or a backfill of any date is safe;
-- rows older than the retention period are deleted after each build.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='business_date',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where business_date < {{ history_kept_from() }}",
) }}

select
    business_date::date as business_date,
    customer_id::text as customer_id,
    total_revenue::numeric(14, 2) as total_revenue,
    purchase_count::integer as purchase_count,
    rfm_recency_score::integer as rfm_recency_score,
    rfm_frequency_score::integer as rfm_frequency_score,
    rfm_monetary_score::integer as rfm_monetary_score,
    predicted_clv_12m::numeric(14, 2) as predicted_clv_12m,
    engagement_score::numeric(12, 2) as engagement_score,
    complaint_count::integer as complaint_count,
    open_issue_count::integer as open_issue_count,
    marketing_consent::boolean as marketing_consent,
    consent_state::text as consent_state
from {{ ref('customer_360') }}
where business_date = {{ business_date() }}

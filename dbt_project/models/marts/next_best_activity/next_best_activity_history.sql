-- The next best activity of every night built, one row per customer per business date:
-- tonight's candidates (next_best_activity_candidates) without those given to the
-- customer within their cooldown on an earlier night, then the first by priority, the
-- likeliest line, the line's name. Incremental: a night built again replaces its own
-- rows (the pre-hook) and reads only the nights before it, so a re-run gives the same.
-- Never rebuilt by a full refresh (one of identity and everything after it would forget
-- every cooldown). Erasure reaches it as every marts table (c360/privacy/derived.py).
{{ config(
    materialized='incremental',
    full_refresh=false,
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where business_date = {{ business_date() }}{% endif %}",
) }}
with candidates as (
    select * from {{ ref('next_best_activity_candidates') }}
),

earlier as (
    {%- if is_incremental() %}
    select customer_id, activity, business_date
    from {{ this }}
    where business_date < {{ business_date() }}
    {%- else %}
    select null::text as customer_id, null::text as activity, null::date as business_date
    where false
    {%- endif %}
),

eligible as (
    select c.*
    from candidates as c
    where not exists (
        select from earlier as e
        where e.customer_id = c.customer_id and e.activity = c.activity
          and e.business_date > c.business_date - c.cooldown_days
    )
),

chosen as (
    select distinct on (customer_id) *
    from eligible
    order by customer_id, priority, propensity desc nulls last, product_line nulls first, activity
),

final as (
    select
        customer_id::text as customer_id,
        business_date::date as business_date,
        activity::text as activity,
        kind::text as kind,
        priority::integer as priority,
        product_line::text as product_line,
        channel::text as channel,
        reason::text as reason,
        requires_marketing_consent::boolean as requires_marketing_consent,
        (business_date + greatest(cooldown_days, 1))::date as valid_until
    from chosen
)

select * from final

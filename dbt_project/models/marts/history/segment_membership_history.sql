-- One row per customer, segment and stretch of membership: entered_on is the first
-- night in the segment, left_on the first night out of it (null while a member). Each
-- night rewinds the pairs it touches to how they stood before its business date, then
-- closes the stretches of customers who left and opens one for each who (re-)entered;
-- delete+insert on (customer_id, segment) replaces those pairs' stretches, so a re-run
-- of the latest night changes nothing. Stretches that ended before the retention
-- period are deleted after each build.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['customer_id', 'segment'],
    on_schema_change='fail',
    post_hook="delete from {{ this }} where left_on < {{ history_kept_from() }}",
) }}

with tonight as (
    select distinct customer_id, segment
    from {{ ref('customer_segments') }}
    where business_date = {{ business_date() }}
),

{% if is_incremental() %}
touched as (
    select customer_id, segment from tonight
    union
    select customer_id, segment
    from {{ this }}
    where left_on is null or left_on >= {{ business_date() }} or entered_on >= {{ business_date() }}
),

before_tonight as (
    select
        h.customer_id,
        h.segment,
        h.entered_on,
        case when h.left_on < {{ business_date() }} then h.left_on end as left_on
    from {{ this }} as h
    join touched as t using (customer_id, segment)
    where h.entered_on < {{ business_date() }}
),
{% else %}
before_tonight as (
    select null::text as customer_id, null::text as segment, null::date as entered_on, null::date as left_on
    where false
),
{% endif %}

stretches as (
    select customer_id, segment, entered_on, left_on
    from before_tonight
    where left_on is not null

    union all

    select o.customer_id, o.segment, o.entered_on,
           case when n.customer_id is null then {{ business_date() }} end as left_on
    from before_tonight as o
    left join tonight as n using (customer_id, segment)
    where o.left_on is null

    union all

    select n.customer_id, n.segment, {{ business_date() }} as entered_on, null::date as left_on
    from tonight as n
    where not exists (
        select 1 from before_tonight as o
        where o.left_on is null and o.customer_id = n.customer_id and o.segment = n.segment
    )
)

select
    customer_id::text as customer_id,
    segment::text as segment,
    entered_on::date as entered_on,
    left_on::date as left_on
from stretches

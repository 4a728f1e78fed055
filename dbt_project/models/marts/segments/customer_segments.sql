-- One row per customer and segment: every segment declared in segments.yml (the
-- `segments:` list of this model's meta), its rule evaluated over customer_360. A
-- segment that requires marketing consent only takes customers who gave it; erased
-- and restricted customers are not in customer_360, so they are in no segment.
{%- set segments = declared_segments() %}
with customers as (
    select * from {{ ref('customer_360') }}
),

{% for segment in segments %}
segment__{{ segment.name }} as (
    select
        customer_id,
        '{{ segment.name }}' as segment,
        {{ segment.requires_marketing_consent }} as requires_marketing_consent,
        business_date
    from customers
    where coalesce(({{ segment.rule }}), false)
    {%- if segment.requires_marketing_consent %}
      and marketing_consent
    {%- endif %}
),

{% endfor %}
members as (
    {%- for segment in segments %}
    select * from segment__{{ segment.name }}
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select null::text as customer_id, null::text as segment, null::boolean as requires_marketing_consent,
           null::date as business_date
    where false
    {%- endfor %}
),

final as (
    select
        customer_id::text as customer_id,
        segment::text as segment,
        requires_marketing_consent::boolean as requires_marketing_consent,
        business_date::date as business_date,
        '{{ run_started_at }}'::timestamptz as published_at
    from members
)

select * from final

-- The one business date every metric is computed as of: var business_date when the
-- run passes it, else the latest business date any silo delivered into the raw layer.
-- Never the clock, so a re-run of a night gives the same metrics. Read from the raw
-- tables' load metadata directly: the staging views deduplicate, which this max does
-- not need.
{% if var('business_date', none) %}
with final as (
    select '{{ var("business_date") }}'::date as business_date
)
{% else %}
with loaded as (
    select max(_business_date) as business_date from {{ source('raw_finance', 'invoices') }}
    union all
    select max(_business_date) from {{ source('raw_finance', 'accounts') }}
    union all
    select max(_business_date) from {{ source('raw_store', 'pos_lines') }}
    union all
    select max(_business_date) from {{ source('raw_store', 'loyalty_members') }}
    union all
    select max(_business_date) from {{ source('raw_web', 'events') }}
    union all
    select max(_business_date) from {{ source('raw_contact_center', 'interactions') }}
),

final as (
    select max(business_date) as business_date from loaded
)
{% endif %}

select * from final

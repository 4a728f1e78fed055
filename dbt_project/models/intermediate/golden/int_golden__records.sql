-- The golden record: one row per customer, each attribute from the source the
-- survivorship rules pick, with that source named beside it. An erased
-- customer keeps its row, without personal data, so it stays suppressed.
with xref as (
    select * from {{ ref('int_identity__xref') }}
),

survivors as (
    select * from {{ ref('int_golden__survivors') }}
),

consent as (
    select * from {{ ref('int_golden__consent') }}
),

customers as (
    select customer_id, count(*) as source_record_count, array_agg(distinct source_system order by source_system) as source_systems
    from xref
    group by customer_id
),

pivoted as (
    select
        customer_id,
        max(value ->> 'given_name') filter (where attribute = 'name') as given_name,
        max(value ->> 'surname_prefix') filter (where attribute = 'name') as surname_prefix,
        max(value ->> 'surname') filter (where attribute = 'name') as surname,
        max(source_system) filter (where attribute = 'name') as name_source,
        max(value ->> 'email') filter (where attribute = 'email') as email,
        max(source_system) filter (where attribute = 'email') as email_source,
        max(value ->> 'phone') filter (where attribute = 'phone') as phone,
        max(source_system) filter (where attribute = 'phone') as phone_source,
        max(value ->> 'street') filter (where attribute = 'address') as street,
        max(value ->> 'house_number') filter (where attribute = 'address') as house_number,
        max(value ->> 'postal_code') filter (where attribute = 'address') as postal_code,
        max(value ->> 'city') filter (where attribute = 'address') as city,
        max(value ->> 'country_code') filter (where attribute = 'address') as country_code,
        max(source_system) filter (where attribute = 'address') as address_source,
        max(value ->> 'date_of_birth') filter (where attribute = 'date_of_birth') as date_of_birth,
        max(source_system) filter (where attribute = 'date_of_birth') as date_of_birth_source
    from survivors
    group by customer_id
),

final as (
    select
        c.customer_id::text as customer_id,
        {% for column in ['given_name', 'surname_prefix', 'surname', 'name_source', 'email', 'email_source',
                          'phone', 'phone_source', 'street', 'house_number', 'postal_code', 'city',
                          'country_code', 'address_source'] %}
        case when not k.is_erased then p.{{ column }} end::text as {{ column }},
        {% endfor %}
        case when not k.is_erased then p.date_of_birth end::date as date_of_birth,
        case when not k.is_erased then p.date_of_birth_source end::text as date_of_birth_source,
        k.marketing_consent::boolean as marketing_consent,
        k.marketing_opt_in_source::text as marketing_consent_source,
        k.marketing_opt_in_stated_at::timestamptz as marketing_consent_stated_at,
        k.is_erased::boolean as is_erased,
        k.is_restricted::boolean as is_restricted,
        c.source_record_count::integer as source_record_count,
        c.source_systems::text[] as source_systems
    from customers as c
    left join pivoted as p using (customer_id)
    join consent as k using (customer_id)
)

select * from final

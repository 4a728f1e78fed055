-- Every value a source record offers for a golden attribute, with the trust
-- the survivorship rules give its source. A name or an address is one unit,
-- taken whole from one record, so its parts never come from two people.
with records as (
    select * from {{ ref('int_identity__records') }}
),

xref as (
    select * from {{ ref('int_identity__xref') }}
),

rules as (
    select * from {{ ref('survivorship_rules') }}
),

offered as (
    select
        record_id, 'name' as attribute,
        jsonb_build_object('given_name', given_name, 'surname_prefix', surname_prefix, 'surname', surname) as value,
        -- a full given name beats an initial, whatever its source
        case when given_name_is_initial or given_name is null then 1 else 0 end as completeness_rank
    from records where surname is not null
    union all
    select record_id, 'email', jsonb_build_object('email', email), 0
    from records where email is not null
    union all
    select record_id, 'phone', jsonb_build_object('phone', phone_e164), 0
    from records where phone_e164 is not null
    union all
    select
        record_id, 'address',
        jsonb_build_object('street', street, 'house_number', house_number, 'postal_code', postal_code,
                           'city', city, 'country_code', country_code),
        case when house_number is null then 1 else 0 end
    from records where postal_code is not null
    union all
    select record_id, 'date_of_birth', jsonb_build_object('date_of_birth', date_of_birth), 0
    from records where date_of_birth is not null
),

final as (
    select
        x.customer_id,
        o.attribute,
        o.value,
        r.source_system,
        r.source_key,
        rules.trust_rank,
        o.completeness_rank,
        r.observed_at
    from offered as o
    join records as r using (record_id)
    join xref as x on x.source_system = r.source_system and x.source_key = r.source_key
    join rules on rules.attribute = o.attribute and rules.source_system = r.source_system
)

select * from final

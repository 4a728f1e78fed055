-- One row per billing account: its latest version, with normalized identifiers.
with source as (
    select * from {{ source('raw_finance', 'accounts') }}
),

latest as (
    select distinct on (account_id) *
    from source
    order by account_id, updated_at desc
),

renamed as (
    select
        upper(btrim(account_id)) as account_id,
        {{ person_name_columns('first_name', 'last_name') }},
        nullif(btrim(email), '') as email_as_delivered,
        {{ normalize_email('email') }} as email,
        nullif(btrim(phone), '') as phone_as_delivered,
        {{ normalize_phone('phone', 'country_code') }} as phone_e164,
        nullif(btrim(street), '') as street,
        {{ normalize_house_number('house_number') }} as house_number,
        {{ normalize_postal_code('postal_code') }} as postal_code,
        nullif(btrim(city), '') as city,
        upper(country_code)::text as country_code,
        -- a birth date in the future or before 1900 is a fault: never matched on
        case when date_of_birth between '1900-01-01' and _business_date then date_of_birth end as date_of_birth,
        status,
        created_at,
        updated_at,
        _business_date,
        _loaded_at
    from latest
),

final as (
    select * from renamed
)

select * from final

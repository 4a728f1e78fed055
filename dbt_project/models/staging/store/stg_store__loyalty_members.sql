-- One row per loyalty card: the latest enrolment or change of its member.
with source as (
    select * from {{ source('raw_store', 'loyalty_members') }}
),

latest as (
    select distinct on (btrim(card_number)) *
    from source
    where card_number is not null
    order by btrim(card_number), updated_at::timestamp desc, _business_date desc, _line_number desc
),

renamed as (
    select
        btrim(card_number) as card_number,
        {{ person_name_columns('first_name', 'last_name') }},
        nullif(btrim(email), '') as email_as_delivered,
        {{ normalize_email('email') }} as email,
        nullif(btrim(phone), '') as phone_as_delivered,
        {{ normalize_phone('phone', country_from_postal_code('postal_code')) }} as phone_e164,
        {{ normalize_postal_code('postal_code') }} as postal_code,
        {{ normalize_house_number('house_number') }} as house_number,
        {{ country_from_postal_code('postal_code') }} as country_code,
        -- a birth date in the future or before 1900 is a fault: never matched on
        case when birth_date::date between '1900-01-01' and _business_date then birth_date::date end as birth_date,
        marketing_opt_in = 'Y' as marketing_opt_in,
        -- member forms are filled in the store: its country's local time
        {{ local_timestamp('enrolled_at', 'YYYY-MM-DD HH24:MI:SS', "case when " ~ country_from_postal_code('postal_code') ~ " = 'BE' then 'Europe/Brussels' else 'Europe/Amsterdam' end") }} as enrolled_at,
        {{ local_timestamp('updated_at', 'YYYY-MM-DD HH24:MI:SS', "case when " ~ country_from_postal_code('postal_code') ~ " = 'BE' then 'Europe/Brussels' else 'Europe/Amsterdam' end") }} as updated_at,
        _business_date,
        _loaded_at
    from latest
),

final as (
    select * from renamed
)

select * from final

-- One row per web event, typed, with the traits the visitor typed normalized.
with source as (
    select * from {{ source('raw_web', 'events') }}
),

renamed as (
    select
        event_id,
        event_type,
        occurred_at::timestamptz as occurred_at,
        nullif(btrim(anonymous_id), '') as anonymous_id,
        nullif(btrim(user_id), '') as user_id,
        session_id,
        page_url,
        referrer,
        utm ->> 'source' as utm_source,
        utm ->> 'medium' as utm_medium,
        utm ->> 'campaign' as utm_campaign,
        properties,
        {{ person_name_columns("traits ->> 'first_name'", "traits ->> 'last_name'") }},
        nullif(btrim(traits ->> 'email'), '') as email_as_delivered,
        {{ normalize_email("traits ->> 'email'") }} as email,
        {{ normalize_phone("traits ->> 'phone'", country_from_postal_code("traits ->> 'postal_code'")) }} as phone_e164,
        {{ normalize_postal_code("traits ->> 'postal_code'") }} as postal_code,
        traits is not null and traits <> '{}'::jsonb as has_traits,
        _business_date,
        _loaded_at
    from source
),

final as (
    select * from renamed
)

select * from final

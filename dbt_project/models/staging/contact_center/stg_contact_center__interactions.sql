-- One row per contact (the latest delivery of its id), typed, with the caller's
-- identifiers normalized and what the agent typed as customer_ref resolved to an
-- account id or a loyalty card number.
with source as (
    select * from {{ source('raw_contact_center', 'interactions') }}
),

latest as (
    select distinct on (interaction_id) *
    from source
    where interaction_id is not null
    order by interaction_id, _business_date desc, _loaded_at desc, _line_number desc
),

cleaned_name as (
    select *, {{ clean_full_name('caller_name') }} as caller_name_cleaned
    from latest
),

split_name as (
    select
        *,
        {{ full_name_given('caller_name_cleaned') }} as caller_given_raw,
        {{ full_name_last('caller_name_cleaned') }} as caller_last_raw,
        regexp_replace(coalesce(customer_ref, ''), '[^0-9]', '', 'g') as ref_digits
    from cleaned_name
),

renamed as (
    select
        btrim(interaction_id) as interaction_id,
        {{ local_timestamp('started_at', 'DD-MM-YYYY HH24:MI:SS', "'Europe/Amsterdam'") }} as started_at,
        channel,
        direction,
        nullif(btrim(customer_ref), '') as customer_ref,
        {{ normalize_account_id('customer_ref') }} as ref_account_id,
        case when btrim(customer_ref) ~ '^[0-9]{13}$' then ref_digits end as ref_card_number,
        nullif(btrim(caller_name), '') as caller_name,
        nullif(btrim(caller_phone), '') as phone_as_delivered,
        nullif(btrim(caller_email), '') as email_as_delivered,
        {{ person_name_columns('caller_given_raw', 'caller_last_raw') }},
        {{ normalize_email('caller_email') }} as email,
        {{ normalize_phone('caller_phone') }} as phone_e164,
        reason,
        handle_seconds::int as handle_seconds,
        wait_seconds::int as wait_seconds,
        resolved = 'Y' as is_resolved,
        first_contact_resolution = 'Y' as is_first_contact_resolution,
        csat::int as csat,
        agent_id,
        _business_date,
        _loaded_at
    from split_name
),

final as (
    select
        *,
        coalesce(customer_ref, caller_name, phone_as_delivered, email_as_delivered) is not null as has_caller_identity
    from renamed
)

select * from final

-- One row per data-subject request, with its identifiers normalized like the silos'.
with source as (
    select * from {{ source('raw_privacy', 'requests') }}
),

latest as (
    select distinct on (request_id) *
    from source
    where request_id is not null
    order by request_id, _business_date desc, _line_number desc
),

final as (
    select
        request_id,
        received_at::timestamptz as received_at,
        request_type,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone') }} as phone_e164,
        {{ normalize_account_id('account_id') }} as account_id,
        nullif(btrim(card_number), '') as card_number,
        _business_date,
        _loaded_at
    from latest
)

select * from final

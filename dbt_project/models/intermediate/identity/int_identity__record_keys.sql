-- The deterministic identifiers of every record, one row per (record, key):
-- e-mail, phone, billing account, loyalty card and web account.
with records as (
    select * from {{ ref('int_identity__records') }}
),

unpivoted as (
    select record_id, 'email' as key_type, email as key_value from records where email is not null
    union all
    select record_id, 'phone', phone_e164 from records where phone_e164 is not null
    union all
    select record_id, 'account', account_id from records where account_id is not null
    union all
    select record_id, 'card', card_number from records where card_number is not null
    union all
    select record_id, 'web_user', web_user_id from records where web_user_id is not null
),

final as (
    select * from unpivoted
)

select * from final

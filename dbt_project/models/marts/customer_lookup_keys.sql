-- Every normalized phone, e-mail, card and account a golden customer's records
-- carry: what the contact-time lookup finds a customer by. A key several
-- customers hold (a household's landline) is listed for each of them.
with xref as (
    select * from {{ ref('int_identity__xref') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

final as (
    select distinct
        x.customer_id,
        k.key_kind::text as key_kind,
        k.key_value::text as key_value
    from xref as x
    join records as r using (source_system, source_key)
    cross join lateral (
        values ('phone', r.phone_e164), ('email', r.email),
               ('card', r.card_number), ('account', r.account_id)
    ) as k (key_kind, key_value)
    where k.key_value is not null
)

select * from final

-- Consent per customer. Marketing consent is the person's most recent explicit
-- statement (loyalty opt-in or opt-out, newsletter sign-up or unsubscribe); an
-- erasure or restriction request, matched on any identifier it gives,
-- overrides it.
with xref as (
    select * from {{ ref('customer_xref') }}
),

statements as (
    select 'store' as source_system, card_number as source_key, marketing_opt_in as opted_in, updated_at as stated_at
    from {{ ref('stg_store__loyalty_members') }}
    union all
    select 'web', anonymous_id, event_type = 'newsletter_signup', occurred_at
    from {{ ref('stg_web__events') }}
    where event_type in ('newsletter_signup', 'newsletter_unsubscribe') and anonymous_id is not null
),

latest_statement as (
    select distinct on (x.customer_id)
        x.customer_id,
        s.opted_in,
        s.source_system,
        s.stated_at
    from statements as s
    join xref as x using (source_system, source_key)
    order by x.customer_id, s.stated_at desc, s.source_system
),

request_keys as (
    select request_id, request_type, received_at, 'email' as key_type, email as key_value
    from {{ ref('stg_privacy__requests') }} where email is not null
    union all
    select request_id, request_type, received_at, 'phone', phone_e164
    from {{ ref('stg_privacy__requests') }} where phone_e164 is not null
    union all
    select request_id, request_type, received_at, 'account', account_id
    from {{ ref('stg_privacy__requests') }} where account_id is not null
    union all
    select request_id, request_type, received_at, 'card', card_number
    from {{ ref('stg_privacy__requests') }} where card_number is not null
),

requests as (
    select
        x.customer_id,
        bool_or(q.request_type = 'erasure') as is_erased,
        bool_or(q.request_type = 'restrict') as is_restricted,
        max(q.received_at) as last_request_at
    from request_keys as q
    join {{ ref('int_identity__record_keys') }} as k using (key_type, key_value)
    join {{ ref('int_identity__records') }} as r using (record_id)
    join xref as x on x.source_system = r.source_system and x.source_key = r.source_key
    where q.request_type in ('erasure', 'restrict')
    group by x.customer_id
),

customers as (
    select distinct customer_id from xref
),

final as (
    select
        c.customer_id,
        coalesce(s.opted_in, false) and not coalesce(q.is_erased or q.is_restricted, false) as marketing_consent,
        s.opted_in as marketing_opt_in_stated,
        s.source_system as marketing_opt_in_source,
        s.stated_at as marketing_opt_in_stated_at,
        coalesce(q.is_erased, false) as is_erased,
        coalesce(q.is_restricted, false) as is_restricted,
        q.last_request_at as privacy_request_at
    from customers as c
    left join latest_statement as s using (customer_id)
    left join requests as q using (customer_id)
)

select * from final

-- Consent per customer. Marketing consent is the person's most recent explicit
-- statement (loyalty opt-in or opt-out, newsletter sign-up or unsubscribe); an
-- erasure or restriction request matched to the customer
-- (int_privacy__request_matches) overrides it.
with xref as (
    select * from {{ ref('int_identity__xref') }}
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

-- Only requests matched to one customer on an unambiguous key count: a household
-- e-mail in an erasure request must not erase everyone who shares it.
requests as (
    select
        customer_id,
        bool_or(request_type = 'erasure') as is_erased,
        bool_or(request_type = 'restrict') as is_restricted,
        max(received_at) as last_request_at
    from {{ ref('int_privacy__request_matches') }}
    where status = 'matched' and request_type in ('erasure', 'restrict')
    group by customer_id
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

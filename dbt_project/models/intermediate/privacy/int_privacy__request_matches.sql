-- Every data-subject request matched to one golden customer with the identity
-- resolution's own keys (contracts/privacy.yml), or reported as unmatched or
-- ambiguous. Precision first, as in identity resolution: erasing the wrong
-- person is irreversible. So:
--   * an account id or a card number names the finance account or the loyalty
--     card it is the key of (a contact may cite someone else's account);
--   * an e-mail or a phone decides only when exactly one customer holds it and
--     it is not a household's (int_identity__shared_keys);
--   * keys that decide must agree on one customer, otherwise the request is
--     ambiguous; a request whose only hits are shared keys is ambiguous too;
--   * a request the privacy step has carried out keeps the customer it was
--     matched to (ops.privacy_request_log), followed through later merges, so
--     its effect does not depend on the request file being delivered again.
with requests as (
    select * from {{ ref('stg_privacy__requests') }}
),

xref as (
    select * from {{ ref('int_identity__xref') }}
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
),

shared_keys as (
    select * from {{ ref('int_identity__shared_keys') }}
),

merges as (
    select * from {{ ref('int_identity__merges') }}
),

decisions as (
    select * from {{ ref('stg_privacy_ops__request_log') }}
),

request_keys as (
    select request_id, 'email' as key_type, email as key_value from requests where email is not null
    union all
    select request_id, 'phone', phone_e164 from requests where phone_e164 is not null
    union all
    select request_id, 'account', account_id from requests where account_id is not null
    union all
    select request_id, 'card', card_number from requests where card_number is not null
),

-- the records whose own key an account id or a card number is
owning_records as (
    select 'account' as key_type, source_key as key_value, customer_id from xref where source_system = 'finance'
    union all
    select 'card', source_key, customer_id from xref where source_system = 'store'
),

contact_holders as (
    select k.key_type, k.key_value, x.customer_id
    from record_keys as k
    join xref as x on x.source_system || ':' || x.source_key = k.record_id
    where k.key_type in ('email', 'phone')
),

key_hits as (
    select q.request_id, q.key_type, h.customer_id
    from request_keys as q
    join (select * from owning_records union all select * from contact_holders) as h
        using (key_type, key_value)
    group by q.request_id, q.key_type, h.customer_id
),

key_verdicts as (
    select
        h.request_id,
        h.key_type,
        min(h.customer_id) as customer_id,
        count(distinct h.customer_id) = 1 and not bool_or(s.key_value is not null) as is_decisive
    from key_hits as h
    join request_keys as q using (request_id, key_type)
    left join shared_keys as s on s.key_type = q.key_type and s.key_value = q.key_value
    group by h.request_id, h.key_type
),

request_verdicts as (
    select
        request_id,
        count(distinct customer_id) filter (where is_decisive) as decisive_customers,
        min(customer_id) filter (where is_decisive) as customer_id,
        string_agg(key_type, ',' order by key_type) filter (where is_decisive) as matched_on
    from key_verdicts
    group by request_id
),

candidates as (
    select request_id, count(distinct customer_id) as candidate_customers
    from key_hits
    group by request_id
),

fresh as (
    select
        q.request_id,
        case
            when v.decisive_customers = 1 then 'matched'
            when coalesce(c.candidate_customers, 0) = 0 then 'unmatched'
            else 'ambiguous'
        end as status,
        case when v.decisive_customers = 1 then v.customer_id end as customer_id,
        case when v.decisive_customers = 1 then v.matched_on end as matched_on,
        coalesce(c.candidate_customers, 0) as candidate_customers
    from requests as q
    left join request_verdicts as v using (request_id)
    left join candidates as c using (request_id)
),

final as (
    select
        q.request_id::text as request_id,
        q.request_type::text as request_type,
        q.received_at::timestamptz as received_at,
        q._business_date::date as business_date,
        case when d.request_id is not null then 'matched' else f.status end::text as status,
        case
            when d.request_id is not null then coalesce(m.surviving_customer_id, d.customer_id)
            else f.customer_id
        end::text as customer_id,
        coalesce(d.matched_on, f.matched_on)::text as matched_on,
        f.candidate_customers::integer as candidate_customers,
        d.outcome::text as handled_outcome,
        d.handled_at::timestamptz as handled_at
    from requests as q
    join fresh as f using (request_id)
    left join decisions as d using (request_id)
    left join merges as m on m.merged_customer_id = d.customer_id
)

select * from final

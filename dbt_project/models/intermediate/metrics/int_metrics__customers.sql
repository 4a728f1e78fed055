-- The customers the 360 view profiles: every golden customer that is neither erased
-- nor restricted (a restriction forbids profiling as well as marketing), with the
-- consent state and the one contact detail activation needs: a SHA-256 of the
-- normalised e-mail, the form ad platforms match audiences on, and only for
-- customers who consented to marketing.
with customers as (
    select * from {{ ref('int_golden__records') }}
),

final as (
    select
        customer_id,
        country_code,
        source_systems,
        source_record_count,
        coalesce(marketing_consent, false) as marketing_consent,
        case
            when marketing_consent then 'opted_in'
            when marketing_consent_source is not null then 'opted_out'
            else 'unknown'
        end as consent_state,
        marketing_consent_source,
        marketing_consent_stated_at,
        case
            when marketing_consent and email is not null
                then encode(sha256(convert_to(lower(btrim(email)), 'UTF8')), 'hex')
        end as email_sha256
    from customers
    where not coalesce(is_erased, false) and not coalesce(is_restricted, false)
)

select * from final

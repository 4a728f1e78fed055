-- Accepted links: the candidate pairs that a matching rule accepts, with the
-- rule that made the link. Level 1 rules rest on an identifier typed for this
-- customer or on name and birth date together; level 2 rules on a contact key
-- or an address. Nothing links a pair whose evidence contradicts itself.
with evidence as (
    select * from {{ ref('int_identity__pair_evidence') }}
    where not is_contradiction
),

ruled as (
    select
        *,
        case
            when same_web_user then 'web_login'
            when same_account then 'account_ref'
            when same_card then 'card_ref'
            when birth_date_agreement = 'same'
                and surname_agreement in ('same', 'typo')
                and given_name_agreement in ('same', 'call_name', 'initial', 'typo')
                and (address_agreement in ('same', 'postal_code')
                     or (surname_agreement = 'same' and given_name_agreement in ('same', 'call_name')))
                then 'name_birth_date'
            -- a personal e-mail or phone links alone; one a household shares
            -- links only where the full name agrees as well
            when same_email
                and (not email_is_shared
                     or (given_name_agreement in ('same', 'call_name') and surname_agreement in ('same', 'typo')))
                then 'email'
            when same_phone
                and (not phone_is_shared
                     or (given_name_agreement in ('same', 'call_name') and surname_agreement in ('same', 'typo')))
                then 'phone'
            when given_name_agreement in ('same', 'call_name') and surname_agreement in ('same', 'typo')
                and address_agreement = 'same'
                then 'name_address'
            when given_name_agreement in ('same', 'call_name') and surname_agreement = 'same'
                and address_agreement = 'postal_code'
                then 'name_postal_code'
        end as rule
    from evidence
),

final as (
    select
        record_a,
        record_b,
        rule,
        case when rule in ('web_login', 'account_ref', 'card_ref', 'name_birth_date') then 1 else 2 end as rule_level,
        score
    from ruled
    where rule is not null
)

select * from final

-- Every candidate pair weighed: whether its shared e-mail or phone is a
-- household's, an explanatory score, and the matching rule that accepts it
-- (NULL when none does). Level 1 rules rest on an identifier typed for this
-- customer or on name and birth date together; level 2 rules on a contact key
-- or an address. No rule accepts a pair whose evidence contradicts itself.
with candidate_pairs as (
    select * from {{ ref('int_identity__candidate_pairs') }}
),

-- the evidence model keeps pairs that are no longer candidates: tonight's only
evidence as (
    select e.*
    from {{ ref('int_identity__pair_evidence') }} as e
    join candidate_pairs as p using (record_a, record_b)
),

-- not materialized: the join above is estimated at a handful of rows, and
-- against a materialized CTE the planner then loops over it once per pair
shared_keys as not materialized (
    select * from {{ ref('int_identity__shared_keys') }}
),

levels as (
    select * from {{ ref('int_identity__comparison_weights') }}
),

value_shares as not materialized (
    select * from {{ ref('int_identity__value_shares') }}
),

records as not materialized (
    select * from {{ ref('int_identity__records') }}
),

-- the prior odds that two records with birth dates are one person's: about
-- one other record of the same person among all of them
prior as (
    select -ln(greatest(count(*), 2)::float8) / ln(2) as prior_weight
    from records
    where date_of_birth is not null
),

{#- comparison, its level in the evidence, and the value whose share of
    records is u where the two agree exactly -#}
{%- set comparisons = [
    ('given_name', 'e.given_name_agreement', 'a.given_first_folded'),
    ('surname', 'e.surname_agreement', 'a.surname_folded'),
    ('birth_date', 'e.birth_date_agreement', none),
    ('postal_code', 'e.postal_code_agreement', 'a.postal_code'),
    ('house_number', "case when e.postal_code_agreement = 'same' then nullif(e.address_agreement, 'postal_code') end", none),
] %}

flagged as (
    select
        e.*,
        se.key_value is not null as email_is_shared,
        sp.key_value is not null as phone_is_shared,
        -- Fellegi–Sunter: each comparison's log2(m / u) at its level, 0 when unknown
        -- (in float8: numeric's log costs more than the whole join)
        {%- for comparison, level, value in comparisons %}
        coalesce(ln(l_{{ comparison }}.m_probability
            / coalesce({% if value %}v_{{ comparison }}.share, {% endif %}l_{{ comparison }}.u_probability)) / ln(2), 0)
            as {{ comparison }}_weight,
        {%- endfor %}
        prior.prior_weight
    from evidence as e
    join records as a on a.record_id = e.record_a
    cross join prior
    {%- for comparison, level, value in comparisons %}
    left join levels as l_{{ comparison }}
        on l_{{ comparison }}.comparison = '{{ comparison }}' and l_{{ comparison }}.level = {{ level }}
    {%- if value %}
    left join value_shares as v_{{ comparison }}
        on v_{{ comparison }}.comparison = '{{ comparison }}' and v_{{ comparison }}.value = {{ value }}
        and {{ level }} = 'same'
    {%- endif %}
    {%- endfor %}
    left join shared_keys as se on se.key_type = 'email' and se.key_value = e.shared_email
    left join shared_keys as sp on sp.key_type = 'phone' and sp.key_value = e.shared_phone
),

weighed as (
    select
        *,
        prior_weight + given_name_weight + surname_weight + birth_date_weight
            + postal_code_weight + house_number_weight as match_weight
    from flagged
),

ruled as (
    select
        *,
        case
            when is_contradiction then null
            when same_web_user then 'web_login'
            when same_account then 'account_ref'
            when same_card then 'card_ref'
            -- a personal e-mail or mobile and the birth date: the same person even
            -- when the surname differs (taken at marriage, or badly mistyped)
            when birth_date_agreement = 'same'
                and ((same_email and not email_is_shared) or (same_phone and not phone_is_shared))
                then 'key_birth_date'
            when birth_date_agreement = 'same'
                and surname_agreement in ('same', 'typo')
                and given_name_agreement in ('same', 'call_name', 'initial', 'typo')
                and (address_agreement in ('same', 'postal_code')
                     or (surname_agreement = 'same' and given_name_agreement in ('same', 'call_name')))
                then 'name_birth_date'
            -- names, birth date and address weighed together, where the birth
            -- dates agree or are one slip apart: enough evidence that two records
            -- are one person's, however each field slipped
            when birth_date_agreement in ('same', 'near')
                and (given_name_agreement is not null or surname_agreement is not null)
                and match_weight >= ln({{ var('identity_min_match_probability', 0.999) }}
                                       / (1 - {{ var('identity_min_match_probability', 0.999) }})) / ln(2)
                then 'match_weight'
            -- one side without a given name: surname, birth date and address together
            when birth_date_agreement = 'same' and surname_agreement = 'same'
                and given_name_agreement is null and address_agreement = 'same'
                then 'surname_birth_date_address'
            -- a personal e-mail or phone links alone, unless the surnames
            -- differ; one a household shares links only where the full name
            -- agrees as well
            when same_email and surname_agreement is distinct from 'different'
                and (not email_is_shared
                     or (given_name_agreement in ('same', 'call_name') and surname_agreement in ('same', 'typo')))
                then 'email'
            when same_phone and surname_agreement is distinct from 'different'
                and (not phone_is_shared
                     or (given_name_agreement in ('same', 'call_name') and surname_agreement in ('same', 'typo')))
                then 'phone'
            -- a slip in the e-mail is no evidence alone, but with the full name it is
            when similar_email and given_name_agreement in ('same', 'call_name')
                and surname_agreement in ('same', 'typo')
                then 'name_similar_email'
            when given_name_agreement in ('same', 'call_name') and surname_agreement in ('same', 'typo')
                and address_agreement = 'same'
                then 'name_address'
        end as rule
    from weighed
),

final as (
    select
        *,
        case when rule in ('web_login', 'account_ref', 'card_ref', 'key_birth_date', 'name_birth_date',
                           'match_weight', 'surname_birth_date_address')
            then 1 when rule is not null then 2 end as rule_level,
        -- for people reading the evidence: names and birth date score apart;
        -- address, e-mail and phone a household shares count once, as one fact
        case given_name_agreement when 'same' then 3 when 'call_name' then 3 when 'typo' then 2
            when 'initial' then 1 when 'compound_part' then 1 else 0 end
        + case surname_agreement when 'same' then 3 when 'typo' then 2 else 0 end
        + case birth_date_agreement when 'same' then 4 when 'near' then 2 else 0 end
        + greatest(
            case address_agreement when 'same' then 3 when 'postal_code' then 1 else 0 end,
            case when (same_email and not email_is_shared) or (same_phone and not phone_is_shared) then 4
                 when same_email or same_phone then 2 else 0 end)
        + case when same_account or same_card or same_web_user then 6 else 0 end
        - case when is_contradiction then 10 else 0 end as score
    from ruled
)

select * from final

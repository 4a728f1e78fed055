{#- The evidence for every candidate pair: how names, birth date and address
    agree, which identifiers the two records share, and whether anything
    contradicts. Facts only; int_identity__pair_scores weighs them.

    Comparing names is the costly part of resolution, so this model is
    incremental: a night compares only the pairs that are new or that involve a
    record whose identity changed (record_hash), and keeps the rest. Rows of
    pairs that are no longer candidates stay behind; int_identity__pair_scores
    reads only the evidence of tonight's candidate pairs with current hashes. -#}
{{ config(
    materialized='incremental',
    unique_key=['record_a', 'record_b'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="create index if not exists {{ this.name }}_pair_idx on {{ this }} (record_a, record_b)"
) }}

-- not materialized: the planner then sees the tables' statistics (a
-- materialized CTE has none, and its row guesses turn a night of seconds into minutes)
with candidate_pairs as not materialized (
    select * from {{ ref('int_identity__candidate_pairs') }}
),

records as not materialized (
    select * from {{ ref('int_identity__records') }}
),

pairs as (
    select p.*
    from candidate_pairs as p
    {% if is_incremental() %}
    join records as a on a.record_id = p.record_a
    join records as b on b.record_id = p.record_b
    left join {{ this }} as known
        on known.record_a = p.record_a and known.record_b = p.record_b
    where known.record_a is null
        or known.record_hash_a <> a.record_hash
        or known.record_hash_b <> b.record_hash
        or known.blocks <> p.blocks
        -- rows compared before the postal code had its own agreement: again
        {% if 'postal_code_agreement' in adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
        or (known.postal_code_agreement is null and a.postal_code is not null and b.postal_code is not null)
        {% else %}
        or (a.postal_code is not null and b.postal_code is not null)
        {% endif %}
    {% endif %}
),

compared as (
    select
        p.record_a,
        p.record_b,
        p.blocks,
        a.record_hash as record_hash_a,
        b.record_hash as record_hash_b,
        -- first and last name typed the other way round, in either record
        {{ names_swapped('a', 'b') }} or {{ names_swapped('b', 'a') }} as names_swapped,
        coalesce(a.given_name_folded in (b.surname_folded, b.surname_with_prefix_folded)
                 and a.surname_folded = b.given_first_folded, false)
            or coalesce(b.given_name_folded in (a.surname_folded, a.surname_with_prefix_folded)
                        and b.surname_folded = a.given_first_folded, false)
            as names_swapped_exactly,
        {{ given_name_agreement('a', 'b') }} as given_name_agreement,
        {{ surname_agreement('a', 'b') }} as surname_agreement,
        {{ birth_date_agreement('a.date_of_birth', 'b.date_of_birth') }} as birth_date_agreement,
        case
            when a.postal_code is null or b.postal_code is null then null
            when a.postal_code = b.postal_code then 'same'
            else 'different'
        end as postal_code_agreement,
        case
            when a.postal_code is null or b.postal_code is null then null
            when a.postal_code <> b.postal_code then 'different'
            when a.house_number is null or b.house_number is null then 'postal_code'
            when a.house_number = b.house_number then 'same'
            else 'different'
        end as address_agreement,
        -- an address that spells the other record's full name, either way round
        {{ email_spells_name('a', 'b') }} or {{ email_spells_name('b', 'a') }} as email_spells_name,
        case when a.email = b.email then a.email end as shared_email,
        -- the same mailbox typed with one slip of a letter
        {{ emails_one_slip_apart('a.email', 'b.email') }} as similar_email,
        case when a.phone_e164 = b.phone_e164 then a.phone_e164 end as shared_phone,
        coalesce(a.account_id = b.account_id, false) as same_account,
        coalesce(a.card_number = b.card_number, false) as same_card,
        coalesce(a.web_user_id = b.web_user_id, false) as same_web_user
    from pairs as p
    join records as a on a.record_id = p.record_a
    join records as b on b.record_id = p.record_b
),

oriented as (
    select
        record_a,
        record_b,
        blocks,
        record_hash_a,
        record_hash_b,
        -- a swap only explains names that do not already agree straight
        names_swapped and coalesce(given_name_agreement = 'different' or surname_agreement = 'different', true)
            as names_swapped,
        case
            when not names_swapped or given_name_agreement not in ('different') then given_name_agreement
            when names_swapped_exactly then 'same'
            else 'typo'
        end as given_name_agreement,
        case
            when not names_swapped or surname_agreement not in ('different') then surname_agreement
            when names_swapped_exactly then 'same'
            else 'typo'
        end as surname_agreement,
        birth_date_agreement,
        postal_code_agreement,
        address_agreement,
        email_spells_name,
        shared_email,
        shared_phone,
        shared_email is not null as same_email,
        coalesce(similar_email, false) as similar_email,
        shared_phone is not null as same_phone,
        same_account,
        same_card,
        same_web_user
    from compared
),

final as (
    select
        *,
        -- a birth date far from the other (not a slip of it) or an incompatible
        -- given name outweighs any amount of shared household evidence
        coalesce(given_name_agreement = 'different' or birth_date_agreement = 'different', false)
            as is_contradiction
    from oriented
)

select * from final

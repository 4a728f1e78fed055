-- The evidence for every candidate pair: how names, birth date and address
-- agree, which identifiers they share and whether those are shared by a
-- household, whether anything contradicts, and an explanatory score.
with pairs as (
    select * from {{ ref('int_identity__candidate_pairs') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

key_usage as (
    select * from {{ ref('int_identity__key_usage') }}
),

compared as (
    select
        p.record_a,
        p.record_b,
        p.blocks,
        -- first and last name typed the other way round
        a.given_first_folded = b.surname_folded and a.surname_folded = b.given_first_folded
            and a.given_first_folded <> a.surname_folded as names_swapped,
        {{ given_name_agreement('a', 'b') }} as given_name_agreement,
        {{ surname_agreement('a', 'b') }} as surname_agreement,
        case
            when a.date_of_birth is null or b.date_of_birth is null then null
            when a.date_of_birth = b.date_of_birth then 'same'
            else 'different'
        end as birth_date_agreement,
        case
            when a.postal_code is null or b.postal_code is null then null
            when a.postal_code <> b.postal_code then 'different'
            when a.house_number is null or b.house_number is null then 'postal_code'
            when a.house_number = b.house_number then 'same'
            else 'different'
        end as address_agreement,
        a.email = b.email as same_email,
        a.phone_e164 = b.phone_e164 as same_phone,
        a.account_id = b.account_id as same_account,
        a.card_number = b.card_number as same_card,
        a.web_user_id = b.web_user_id as same_web_user,
        a.email as email_a,
        a.phone_e164 as phone_a
    from pairs as p
    join records as a on a.record_id = p.record_a
    join records as b on b.record_id = p.record_b
),

oriented as (
    select
        record_a,
        record_b,
        blocks,
        coalesce(names_swapped, false) as names_swapped,
        case when names_swapped then 'same' else given_name_agreement end as given_name_agreement,
        case when names_swapped then 'same' else surname_agreement end as surname_agreement,
        birth_date_agreement,
        address_agreement,
        coalesce(same_email, false) as same_email,
        coalesce(same_phone, false) as same_phone,
        coalesce(same_account, false) as same_account,
        coalesce(same_card, false) as same_card,
        coalesce(same_web_user, false) as same_web_user,
        coalesce(same_email and ke.is_shared, false) as email_is_shared,
        coalesce(same_phone and kp.is_shared, false) as phone_is_shared
    from compared
    left join key_usage as ke on ke.key_type = 'email' and ke.key_value = compared.email_a
    left join key_usage as kp on kp.key_type = 'phone' and kp.key_value = compared.phone_a
),

final as (
    select
        *,
        -- a different birth date or an incompatible given name outweighs any
        -- amount of shared household evidence
        coalesce(given_name_agreement = 'different' or birth_date_agreement = 'different', false)
            as is_contradiction,
        case given_name_agreement when 'same' then 3 when 'call_name' then 3 when 'typo' then 2 when 'initial' then 1 else 0 end
        + case surname_agreement when 'same' then 3 when 'typo' then 2 else 0 end
        + case birth_date_agreement when 'same' then 4 else 0 end
        -- address, e-mail and phone a household shares count once, as one fact
        + greatest(
            case address_agreement when 'same' then 3 when 'postal_code' then 1 else 0 end,
            case when (same_email and not email_is_shared) or (same_phone and not phone_is_shared) then 4
                 when same_email or same_phone then 2 else 0 end
        )
        + case when same_account or same_card or same_web_user then 6 else 0 end as score
    from oriented
)

select * from final

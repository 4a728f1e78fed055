-- E-mail addresses and phone numbers that several people use: a household's
-- address or landline. A shared key alone never links two records. A key is
-- shared when two records holding it contradict each other (birth dates far
-- apart, or incompatible given names without the same birth date), and also,
-- before a second person shows
-- up, when it looks like a household's: a landline (only mobiles are
-- personal) or a family address ('fam.jansen@', 'familie.devries@').
with candidate_pairs as (
    select * from {{ ref('int_identity__candidate_pairs') }}
),

evidence as (
    select e.*
    from {{ ref('int_identity__pair_evidence') }} as e
    join candidate_pairs as p using (record_a, record_b)
    where e.is_contradiction
        -- given names that disagree under one birth date are one person's slip
        -- more often than a second person: they do not make a key shared
        and e.birth_date_agreement is distinct from 'same'
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
),

contradicted as (
    select 'email' as key_type, shared_email as key_value, 'contradicting_records' as reason
    from evidence where shared_email is not null
    union
    select 'phone', shared_phone, 'contradicting_records'
    from evidence where shared_phone is not null
),

household_looking as (
    select distinct key_type, key_value, case key_type when 'phone' then 'landline' else 'family_email' end
    from record_keys
    where (key_type = 'phone' and key_value !~ '^\+(316|324)')
        or (key_type = 'email' and key_value ~ '^(fam|familie|family|gezin)[._-]?[a-z]')
),

final as (
    select distinct on (key_type, key_value) key_type, key_value, reason
    from (select * from contradicted union all select * from household_looking) as keys
    order by key_type, key_value, reason
)

select * from final

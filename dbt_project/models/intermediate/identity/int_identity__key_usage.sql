-- How many people use each identifier. A key is shared (a household e-mail or
-- landline) when the records holding it carry more than one full given name
-- or more than one birth date; a shared key alone never links two records.
with record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

final as (
    select
        k.key_type,
        k.key_value,
        count(*) as record_count,
        count(distinct r.given_canonical) as distinct_given_names,
        count(distinct r.date_of_birth) as distinct_birth_dates,
        count(distinct r.given_canonical) > 1 or count(distinct r.date_of_birth) > 1 as is_shared
    from record_keys as k
    join records as r using (record_id)
    group by k.key_type, k.key_value
)

select * from final

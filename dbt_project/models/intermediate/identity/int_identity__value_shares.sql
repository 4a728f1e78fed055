-- The share of records that hold each given name, surname and postal code:
-- the chance that a record of someone else agrees on that value. Two records
-- that share a rare name say more than two that share a common one, so the
-- match weight of an exact agreement is taken from here (term frequency).
with records as (
    select * from {{ ref('int_identity__records') }}
),

values_held as (
    select 'given_name' as comparison, given_first_folded as value from records where given_first_folded is not null
    union all
    select 'surname', surname_folded from records where surname_folded is not null
    union all
    select 'postal_code', postal_code from records where postal_code is not null
),

final as (
    select
        comparison,
        value,
        count(*)::float8 / sum(count(*)) over (partition by comparison) as share
    from values_held
    group by comparison, value
)

select * from final

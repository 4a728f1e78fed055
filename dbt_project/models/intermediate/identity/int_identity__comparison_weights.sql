{#- The Fellegi–Sunter weight of each comparison level: log2(m / u). m is
    declared (identity_comparison_levels: how often one person's records slip
    at that level); u, the chance that two different persons agree at that
    level, is measured on random pairs of tonight's records, as record-linkage
    tools do, and taken from the declaration where the sample holds too few
    such pairs to tell. An exact agreement on a name or postal code takes its
    u from the value's own share (int_identity__value_shares) instead. -#}
{%- set sample_pairs = var('identity_u_sample_pairs', 50000) -%}
with records as (
    select * from {{ ref('int_identity__records') }}
),

levels as (
    select * from {{ ref('identity_comparison_levels') }}
),

-- records in a random but repeatable order: each with the next few is a random pair
shuffled as (
    select r.*, row_number() over (order by md5(r.record_id)) as position
    from records as r
    where r.given_initial is not null or r.surname_folded is not null
        or r.date_of_birth is not null or r.postal_code is not null
),

random_pairs as (
    select
        {{ given_name_agreement('a', 'b') }} as given_name,
        {{ surname_agreement('a', 'b') }} as surname,
        {{ birth_date_agreement('a.date_of_birth', 'b.date_of_birth') }} as birth_date,
        case when a.postal_code = b.postal_code then 'same' when a.postal_code <> b.postal_code then 'different' end
            as postal_code
    from shuffled as a
    cross join generate_series(1, {{ var('identity_u_pairs_per_record', 5) }}) as step
    join shuffled as b on b.position = a.position + step
    where a.position <= {{ sample_pairs }} / {{ var('identity_u_pairs_per_record', 5) }}
),

observed as (
    {%- for comparison in ['given_name', 'surname', 'birth_date', 'postal_code'] %}
    select '{{ comparison }}' as comparison, {{ comparison }} as level,
        count(*) as pairs, sum(count(*)) over () as compared
    from random_pairs where {{ comparison }} is not null group by {{ comparison }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

final as (
    select
        l.comparison,
        l.level,
        l.m_probability,
        case when o.pairs >= {{ var('identity_u_min_sample_pairs', 10) }}
            then o.pairs::float8 / o.compared else l.u_probability end as u_probability,
        o.pairs as sampled_pairs,
        o.compared as sampled_compared
    from levels as l
    left join observed as o using (comparison, level)
)

select * from final

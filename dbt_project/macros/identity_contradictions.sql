{#- What one person cannot have, checked over groups of records (components).
    `records` must be in scope: int_identity__records. -#}

{#- CTEs `<level>_names`, `<level>_birth_dates` and `<level>_contradictions`
    (component_id): the components of `members` (record_id, component_id) that
    hold two birth dates far apart, two given names that contradict, or more
    billing accounts and loyalty cards than var identity_max_registrations. -#}
{% macro contradiction_ctes(level, members) -%}
{{ level }}_names as (
    select distinct
        m.component_id,
        r.given_name, r.given_first_records, r.given_initial, r.given_first_folded, r.given_name_folded,
        r.given_canonical, r.given_name_is_initial, r.surname_folded, r.surname_with_prefix_folded
    from {{ members }} as m
    join records as r using (record_id)
    where r.given_initial is not null
),

{{ level }}_birth_dates as (
    select distinct m.component_id, r.date_of_birth
    from {{ members }} as m
    join records as r using (record_id)
    where r.date_of_birth is not null
),

{{ level }}_contradictions as (
    select m.component_id
    from {{ members }} as m
    join records as r using (record_id)
    group by m.component_id
    having count(*) filter (where r.source_system in ('finance', 'store'))
        > {{ var('identity_max_registrations', 20) }}
    union
    select a.component_id
    from {{ level }}_birth_dates as a
    join {{ level }}_birth_dates as b
        on a.component_id = b.component_id and a.date_of_birth < b.date_of_birth
        and {{ birth_date_agreement('a.date_of_birth', 'b.date_of_birth') }} = 'different'
    union
    select a.component_id
    from {{ level }}_names as a
    join {{ level }}_names as b
        on a.component_id = b.component_id and {{ names_contradict('a', 'b', level ~ '_names') }}
)
{%- endmacro %}

{#- True when the given names of `a` and `b` (rows with a component_id)
    contradict: different, not typed the other way round, and not two spellings
    of one name a row of `names` in their component holds: two slips of it
    ('Jaems' and 'Jameg' beside 'James'), or a slip of it and its formal name
    ('Ktty' and 'Catharina' beside 'Kitty'). Two formal names one call name
    stands for (Cornelia and Petronella beside 'Nel') still contradict. -#}
{% macro names_contradict(a, b, names) -%}
({{ given_name_agreement(a, b) }} = 'different'
    and not {{ names_swapped(a, b) }}
    and not {{ names_swapped(b, a) }}
    and not exists (
        select 1 from {{ names }} as c
        where c.component_id = {{ a }}.component_id
            and ({{ given_name_agreement(a, 'c') }}, {{ given_name_agreement(b, 'c') }})
                in (('typo', 'typo'), ('typo', 'call_name'), ('call_name', 'typo'))
    ))
{%- endmacro %}

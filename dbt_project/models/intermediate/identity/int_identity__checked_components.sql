{#- Components checked for internal contradictions. A full component (all
    links) that holds two birth dates far apart (not a slip of one another),
    two incompatible given names (unless both are slips of a third name it
    holds), or more billing accounts and loyalty cards
    than any person plausibly has, is refused: its records fall back to their
    strong component (level 1 links), and if even that contradicts, stand
    alone. Calls and cookies do not count: a loyal customer makes many.

    Incremental: a night checks only the components int_identity__components
    recomputed (is_checked false: whole components), replaces their rows, and
    marks them checked last, so a night that fails in between checks them
    again on the next run. -#}
{{ incremental_per_record(post_hook=[
    "delete from {{ this }} as c where not exists (select 1 from {{ ref('int_identity__components') }} as l where l.record_id = c.record_id)",
    "update {{ ref('int_identity__components') }} set is_checked = true where not is_checked",
]) }}

with records as not materialized (
    select * from {{ ref('int_identity__records') }}
),

labelled as (
    select * from {{ ref('int_identity__components') }}
    {% if is_incremental() %}
    where not is_checked
    {% endif %}
),

{% for level in ['strong', 'full'] %}
{{ level }}_names as (
    select distinct
        l.{{ level }}_component as component_id,
        r.given_name, r.given_first_records, r.given_initial, r.given_first_folded, r.given_name_folded, r.given_canonical,
        r.given_name_is_initial, r.surname_folded, r.surname_with_prefix_folded
    from labelled as l
    join records as r using (record_id)
    where r.given_initial is not null
),

{{ level }}_birth_dates as (
    select distinct l.{{ level }}_component as component_id, r.date_of_birth
    from labelled as l
    join records as r using (record_id)
    where r.date_of_birth is not null
),

{{ level }}_contradictions as (
    select l.{{ level }}_component as component_id
    from labelled as l
    join records as r using (record_id)
    group by l.{{ level }}_component
    having count(*) filter (where r.source_system in ('finance', 'store'))
        > {{ var('identity_max_registrations', 20) }}
    union
    select a.component_id
    from {{ level }}_birth_dates as a
    join {{ level }}_birth_dates as b
        on a.component_id = b.component_id and a.date_of_birth < b.date_of_birth
        and not {{ birth_dates_near('a.date_of_birth', 'b.date_of_birth') }}
    union
    select a.component_id
    from {{ level }}_names as a
    join {{ level }}_names as b
        on a.component_id = b.component_id
        and {{ given_name_agreement('a', 'b') }} = 'different'
        -- first and last name typed the other way round are no contradiction
        and not {{ names_swapped('a', 'b') }}
        and not {{ names_swapped('b', 'a') }}
        -- nor are two slips of one name the component holds ('Jaems', 'Jameg' beside 'James')
        and not exists (
            select 1 from {{ level }}_names as c
            where c.component_id = a.component_id
                and {{ given_name_agreement('a', 'c') }} = 'typo'
                and {{ given_name_agreement('b', 'c') }} = 'typo'
        )
),
{% endfor %}

resolved as (
    select
        l.record_id,
        case
            when fc.component_id is null then l.full_component
            when sc.component_id is null then l.strong_component
            else l.record_id
        end as cluster_id,
        case
            when fc.component_id is null then
                case when l.is_linked then 'linked' else 'singleton' end
            when sc.component_id is null then 'refused_contradiction'
            else 'split_contradiction'
        end as resolution
    from labelled as l
    left join full_contradictions as fc on fc.component_id = l.full_component
    left join strong_contradictions as sc on sc.component_id = l.strong_component
),

final as (
    select * from resolved
)

select * from final

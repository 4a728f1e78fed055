{#- Components checked for internal contradictions. A full component (all
    links) that holds two birth dates far apart (not a slip of one another),
    two incompatible given names (unless both are spellings of a third name it
    holds), or more billing accounts and loyalty cards than any person
    plausibly has, is trimmed: the records that contradict
    most of the others are set apart, and each side keeps the links among its
    own records. Where a side still contradicts, the component falls back to
    its strong components (level 1 links), trimmed the same way where they
    contradict too, and failing that every record stands alone. Calls and
    cookies do not count: a loyal customer makes many.

    Incremental: a night checks only the components int_identity__components
    recomputed (is_checked false: whole components), replaces their rows, and
    marks them checked last, so a night that fails in between checks them
    again on the next run. -#}
{{ incremental_per_record(post_hook=[
    "delete from {{ this }} as c where not exists (select 1 from {{ ref('int_identity__components') }} as l where l.record_id = c.record_id)",
    "update {{ ref('int_identity__components') }} set is_checked = true where not is_checked",
]) }}

with recursive records as not materialized (
    select * from {{ ref('int_identity__records') }}
),

labelled as (
    select * from {{ ref('int_identity__components') }}
    {% if is_incremental() %}
    where not is_checked
    {% endif %}
),

strong_members as (
    select record_id, strong_component as component_id from labelled
),

full_members as (
    select record_id, full_component as component_id from labelled
),

{{ contradiction_ctes('strong', 'strong_members') }},

{{ contradiction_ctes('full', 'full_members') }},

{#- A component that contradicts itself is trimmed: its records that
    contradict more than half of the others are set apart (where none does, a
    pair of slips clashing with each other only, every record that clashes),
    and each side keeps the links among its own records, as far as they reach
    (a record set apart may have been the only bridge between two others).
    Each side's components are checked again. -#}
{% for level, links in [('full', 'true'), ('strong', 'k.rule_level = 1')] %}
{{ level }}_split as (
    select m.component_id, r.*
    from {{ level }}_members as m
    join {{ level }}_contradictions using (component_id)
    join records as r using (record_id)
),

{{ level }}_split_sizes as (
    select component_id, count(*) as members from {{ level }}_split group by component_id
),

{{ level }}_clashes as (
    select a.record_id, a.component_id, count(distinct b.record_id) as clashes
    from {{ level }}_split as a
    join {{ level }}_split as b
        on a.component_id = b.component_id and a.record_id <> b.record_id
        and ({{ birth_date_agreement('a.date_of_birth', 'b.date_of_birth') }} = 'different'
             or {{ names_contradict('a', 'b', level ~ '_names') }})
    group by a.record_id, a.component_id
),

{{ level }}_most_clashing as (
    select c.record_id, c.component_id
    from {{ level }}_clashes as c
    join {{ level }}_split_sizes as z using (component_id)
    where c.clashes * 2 > z.members - 1
),

{{ level }}_sides as (
    select s.record_id, s.component_id,
        case when s.record_id in (select record_id from {{ level }}_most_clashing)
                  or (s.record_id in (select record_id from {{ level }}_clashes)
                      and s.component_id not in (select component_id from {{ level }}_most_clashing))
            then 'apart' else 'kept' end as side
    from {{ level }}_split as s
),

{{ level }}_side_links as (
    select k.record_a, k.record_b
    from {{ ref('int_identity__links') }} as k
    join {{ level }}_sides as a on a.record_id = k.record_a
    join {{ level }}_sides as b on b.record_id = k.record_b
        and b.component_id = a.component_id and b.side = a.side
    where {{ links }}
),

{{ reachability_cte(level ~ '_side_reach', level ~ '_side_links') }},

{{ level }}_trimmed_members as (
    select s.record_id, coalesce(min(r.reached), s.record_id) as component_id
    from {{ level }}_sides as s
    left join {{ level }}_side_reach as r using (record_id)
    group by s.record_id
),

{{ contradiction_ctes(level ~ '_trimmed', level ~ '_trimmed_members') }},

{{ level }}_trimmed as (
    select m.record_id, m.component_id, c.component_id is null as holds,
        count(*) over (partition by m.component_id) as members
    from {{ level }}_trimmed_members as m
    left join {{ level }}_trimmed_contradictions as c using (component_id)
),
{% endfor %}

-- a full component is trimmed only where every side of it holds, so that no
-- record of it falls back to a strong component another record labels
full_trim_holds as (
    select l.full_component
    from labelled as l
    join full_trimmed as t using (record_id)
    group by l.full_component
    having bool_and(t.holds)
),

resolved as (
    select
        l.record_id,
        case
            when fc.component_id is null then l.full_component
            when fh.full_component is not null then ft.component_id
            when sc.component_id is null then l.strong_component
            when st.holds then st.component_id
            else l.record_id
        end as cluster_id,
        case
            when fc.component_id is null then
                case when l.is_linked then 'linked' else 'singleton' end
            when fh.full_component is not null and ft.members > 1 then 'trimmed_contradiction'
            when fh.full_component is not null then 'split_contradiction'
            when sc.component_id is null then 'refused_contradiction'
            when st.holds and st.members > 1 then 'trimmed_contradiction'
            else 'split_contradiction'
        end as resolution
    from labelled as l
    left join full_contradictions as fc on fc.component_id = l.full_component
    left join full_trim_holds as fh on fh.full_component = l.full_component
    left join full_trimmed as ft using (record_id)
    left join strong_contradictions as sc on sc.component_id = l.strong_component
    left join strong_trimmed as st on st.record_id = l.record_id
),

final as (
    select * from resolved
)

select * from final

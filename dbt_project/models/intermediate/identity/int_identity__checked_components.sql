{#- Components checked for internal contradictions. A full component (all
    links) that holds two birth dates far apart (not a slip of one another),
    two incompatible given names (unless both are slips of a third name it
    holds), or more billing accounts and loyalty cards
    than any person plausibly has, is refused: its records fall back to their
    strong component (level 1 links). Where even that contradicts, the records
    that contradict most of the others stand alone and the rest keep the level
    1 links among them (trimmed), unless those still contradict: then every
    record stands alone. Calls and cookies do not count: a loyal customer
    makes many.

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

-- a strong component that contradicts itself: its records that contradict
-- more than half of the others are set apart, and the rest stay together as
-- far as their own level 1 links reach (a record set apart may have been the
-- only bridge between two of them); a component whose records clash with a
-- few others only sets apart every record that clashes
split_members as (
    select m.component_id, r.*
    from strong_members as m
    join strong_contradictions using (component_id)
    join records as r using (record_id)
),

split_sizes as (
    select component_id, count(*) as members from split_members group by component_id
),

record_clashes as (
    select a.record_id, a.component_id, count(distinct b.record_id) as clashes
    from split_members as a
    join split_members as b
        on a.component_id = b.component_id and a.record_id <> b.record_id
        and (not {{ birth_dates_near('a.date_of_birth', 'b.date_of_birth') }}
             and a.date_of_birth <> b.date_of_birth
             or {{ names_contradict('a', 'b', 'strong_names') }})
    group by a.record_id, a.component_id
),

-- where no record contradicts most of the others (a pair of slips that
-- clash with each other only), both sides of each clash are set apart
set_apart as (
    select c.record_id
    from record_clashes as c
    join split_sizes as z using (component_id)
    where c.clashes * 2 > z.members - 1
        or c.component_id not in (
            select m.component_id
            from record_clashes as m
            join split_sizes as mz using (component_id)
            where m.clashes * 2 > mz.members - 1
        )
),

kept_links as (
    select k.record_a, k.record_b
    from {{ ref('int_identity__links') }} as k
    join split_members as a on a.record_id = k.record_a
    join split_members as b on b.record_id = k.record_b and b.component_id = a.component_id
    where k.rule_level = 1
        and k.record_a not in (select record_id from set_apart)
        and k.record_b not in (select record_id from set_apart)
),

{{ reachability_cte('kept_reach', 'kept_links') }},

trimmed_members as (
    select record_id, min(reached) as component_id from kept_reach group by record_id
),

{{ contradiction_ctes('trimmed', 'trimmed_members') }},

resolved as (
    select
        l.record_id,
        case
            when fc.component_id is null then l.full_component
            when sc.component_id is null then l.strong_component
            when tm.component_id is not null and tc.component_id is null then tm.component_id
            else l.record_id
        end as cluster_id,
        case
            when fc.component_id is null then
                case when l.is_linked then 'linked' else 'singleton' end
            when sc.component_id is null then 'refused_contradiction'
            when tm.component_id is not null and tc.component_id is null then 'trimmed_contradiction'
            else 'split_contradiction'
        end as resolution
    from labelled as l
    left join full_contradictions as fc on fc.component_id = l.full_component
    left join strong_contradictions as sc on sc.component_id = l.strong_component
    left join trimmed_members as tm using (record_id)
    left join trimmed_contradictions as tc on tc.component_id = tm.component_id
),

final as (
    select * from resolved
)

select * from final

-- Clusters: the transitive closure of accepted links, checked for internal
-- contradictions, plus the name-only records a name places with certainty.
--
-- Closure is taken twice: over level 1 links only, and over all links. A full
-- cluster that holds two birth dates, two incompatible given names, or more
-- records than any person plausibly has, is refused: its records fall back to
-- their level 1 clusters (and, if even those contradict, stand alone).
with recursive records as (
    select * from {{ ref('int_identity__records') }}
),

links as (
    select * from {{ ref('int_identity__links') }}
),

strong_links as (
    select * from links where rule_level = 1
),

{{ reachability_cte('strong_reach', 'strong_links') }},

{{ reachability_cte('all_reach', 'links') }},

labelled as (
    select
        r.record_id,
        coalesce(s.component_id, r.record_id) as strong_component,
        coalesce(a.component_id, r.record_id) as full_component,
        a.component_id is not null as is_linked
    from records as r
    left join (select record_id, min(reached) as component_id from strong_reach group by record_id) as s
        using (record_id)
    left join (select record_id, min(reached) as component_id from all_reach group by record_id) as a
        using (record_id)
),

{% for level in ['strong', 'full'] %}
{{ level }}_names as (
    select distinct
        l.{{ level }}_component as component_id,
        r.given_initial, r.given_first_folded, r.given_name_folded, r.given_canonical,
        r.given_name_is_initial, r.surname_folded, r.surname_with_prefix_folded
    from labelled as l
    join records as r using (record_id)
    where r.given_initial is not null
),

{{ level }}_contradictions as (
    select l.{{ level }}_component as component_id
    from labelled as l
    join records as r using (record_id)
    group by l.{{ level }}_component
    having count(distinct r.date_of_birth) > 1
        or count(*) > {{ var('identity_max_cluster_size', 200) }}
    union
    select a.component_id
    from {{ level }}_names as a
    join {{ level }}_names as b
        on a.component_id = b.component_id
        and {{ given_name_agreement('a', 'b') }} = 'different'
        -- first and last name typed the other way round are no contradiction
        and not {{ names_swapped('a', 'b') }}
        and not {{ names_swapped('b', 'a') }}
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

-- A record that holds only a name joins the one customer its full name points
-- to, and stays apart when the name points to none or to several.
placeable as (
    select r.*
    from records as r
    join resolved as c using (record_id)
    where c.resolution = 'singleton' and r.is_name_only
),

-- the closest name agreement wins (a full match outweighs a slip); the name
-- places the record only if one customer holds the closest matches. An
-- initial places nobody: too many people share one.
name_matches as (
    select
        record_a as record_id,
        record_b as other_record_id,
        case given_name_agreement when 'typo' then 1 else 0 end
        + case surname_agreement when 'typo' then 1 else 0 end as distance
    from {{ ref('int_identity__pair_scores') }}
    where not is_contradiction
        and surname_agreement in ('same', 'typo')
        and given_name_agreement in ('same', 'call_name', 'typo')
),

name_candidates as (
    select n.record_id, c.cluster_id, m.distance, min(m.distance) over (partition by n.record_id) as best
    from placeable as n
    join (
        select record_id, other_record_id, distance from name_matches
        union all
        select other_record_id, record_id, distance from name_matches
    ) as m using (record_id)
    join resolved as c on c.record_id = m.other_record_id
    left join placeable as p on p.record_id = m.other_record_id
    where p.record_id is null
),

name_targets as (
    select record_id, min(cluster_id) as cluster_id, count(distinct cluster_id) as target_count
    from name_candidates
    where distance = best
    group by record_id
),

final as (
    select
        r.record_id,
        rec.source_system,
        rec.source_key,
        case when t.target_count = 1 then t.cluster_id else r.cluster_id end as cluster_id,
        case when t.target_count = 1 then 'unique_name'
             when t.target_count > 1 then 'ambiguous_name'
             else r.resolution end as resolution
    from resolved as r
    join records as rec using (record_id)
    left join name_targets as t using (record_id)
)

select * from final

-- Clusters: the checked components, plus the name-only records that a name
-- places with certainty.
with records as (
    select * from {{ ref('int_identity__records') }}
),

resolved as (
    select * from {{ ref('int_identity__checked_components') }}
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

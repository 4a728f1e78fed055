-- Clusters: the checked components, plus the clusters that only a name ties
-- to a customer, placed where that name points to exactly one. A name alone
-- cannot tell namesakes apart, so it only places what nothing else places.
with records as (
    select * from {{ ref('int_identity__records') }}
),

resolved as (
    select * from {{ ref('int_identity__checked_components') }}
),

pair_scores as not materialized (
    select * from {{ ref('int_identity__pair_scores') }}
),

-- A cluster is anchored when one of its records holds what only the person's
-- own records share: a birth date, an address, a billing account or a loyalty
-- card. One without (a caller known by name and a mobile number nobody else
-- typed) can only be placed by name, and only into an anchored customer; one
-- that holds nothing but a name also into a customer known by a contact key.
anchors as (
    select
        c.cluster_id,
        bool_or(coalesce(r.date_of_birth::text, r.postal_code, r.account_id, r.card_number) is not null)
            as is_anchored,
        bool_or(not r.is_name_only) as has_key
    from resolved as c
    join records as r using (record_id)
    group by c.cluster_id
),

labelled as (
    select c.record_id, c.cluster_id, c.resolution, a.is_anchored, a.has_key
    from resolved as c
    join anchors as a using (cluster_id)
),

-- clusters a contradiction split stay as they are
placeable as (
    select * from labelled
    where not is_anchored and resolution in ('singleton', 'linked')
),

-- name evidence in both directions, as a distance: a full name 0, each slip
-- 1, an initial 2 (so a full name outweighs an initial)
name_matches as (
    select
        record_a as record_id,
        record_b as other_record_id,
        case given_name_agreement when 'typo' then 1 when 'initial' then 2 else 0 end
        + case surname_agreement when 'typo' then 1 else 0 end as distance
    from pair_scores
    where not is_contradiction
        and surname_agreement in ('same', 'typo')
        and given_name_agreement in ('same', 'call_name', 'typo', 'initial')
),

directed as (
    select record_id, other_record_id, distance from name_matches
    union all
    select other_record_id, record_id, distance from name_matches
),

contradictions as (
    select record_a as record_id, record_b as other_record_id from pair_scores where is_contradiction
    union all
    select record_b, record_a from pair_scores where is_contradiction
),

-- a contradiction between any record of the two clusters rules a target out
contradicted as (
    select distinct p.cluster_id, t.cluster_id as target_cluster_id
    from placeable as p
    join contradictions as x using (record_id)
    join labelled as t on t.record_id = x.other_record_id
),

-- the closest name agreement wins; the name places the cluster only if one
-- customer holds the closest matches
name_candidates as (
    select
        p.cluster_id,
        t.cluster_id as target_cluster_id,
        m.distance,
        min(m.distance) over (partition by p.cluster_id) as best
    from placeable as p
    join directed as m using (record_id)
    join labelled as t on t.record_id = m.other_record_id
    left join contradicted as x on x.cluster_id = p.cluster_id and x.target_cluster_id = t.cluster_id
    where (t.is_anchored or (t.has_key and not p.has_key))
        and x.cluster_id is null
),

name_targets as (
    select cluster_id, min(target_cluster_id) as target_cluster_id, count(distinct target_cluster_id) as target_count
    from name_candidates
    where distance = best
    group by cluster_id
),

-- a name placed into a customer known by a contact key follows that customer
-- where its own name places it in turn
placements as (
    select
        t.cluster_id,
        case when t.target_count = 1 then coalesce(onward.target_cluster_id, t.target_cluster_id) end
            as target_cluster_id,
        t.target_count
    from name_targets as t
    left join name_targets as onward
        on onward.cluster_id = t.target_cluster_id and onward.target_count = 1
),

final as (
    select
        l.record_id,
        rec.source_system,
        rec.source_key,
        case when t.target_count = 1 then t.target_cluster_id else l.cluster_id end as cluster_id,
        case when t.target_count = 1 then 'unique_name'
             when t.target_count > 1 then 'ambiguous_name'
             else l.resolution end as resolution
    from labelled as l
    join records as rec using (record_id)
    left join placements as t using (cluster_id)
)

select * from final

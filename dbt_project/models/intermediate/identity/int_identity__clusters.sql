-- Clusters: the checked components, plus the clusters that only a name ties
-- to a customer (a name typed, or spelled by an e-mail), placed where that
-- name points to exactly one. A name alone cannot tell namesakes apart, so it
-- only places what nothing else places, and not against personal contacts.
with records as (
    select * from {{ ref('int_identity__records') }}
),

resolved as (
    select * from {{ ref('int_identity__checked_components') }}
),

pair_scores as not materialized (
    select * from {{ ref('int_identity__pair_scores') }}
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
),

shared_keys as (
    select * from {{ ref('int_identity__shared_keys') }}
),

-- A cluster is anchored when one of its records holds what only the person's
-- own records share: a birth date, an address, a billing account or a loyalty
-- card. One without (a caller known by name and a mobile number nobody else
-- typed) can only be placed by name: into an anchored customer, or, by the
-- same full name typed, into another such cluster (the one with the smaller
-- id, so that two of them meet in one); one that holds nothing but a name also
-- into a customer known by a contact key.
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
-- 1, an initial 2 (so a full name outweighs an initial); an e-mail that
-- spells the other's full name counts as that name, 0
typed_names as (
    select
        record_a,
        record_b,
        case when surname_agreement in ('same', 'typo')
            and given_name_agreement in ('same', 'call_name', 'typo', 'initial') then
            case given_name_agreement when 'typo' then 1 when 'initial' then 2 else 0 end
            + case surname_agreement when 'typo' then 1 else 0 end
        end as typed_distance,
        email_spells_name and surname_agreement is distinct from 'different' as is_spelled
    from pair_scores
    where not is_contradiction
),

name_matches as (
    select
        record_a as record_id,
        record_b as other_record_id,
        typed_distance,
        least(typed_distance, case when is_spelled then 0 end) as distance
    from typed_names
    where typed_distance is not null or is_spelled
),

directed as (
    select record_id, other_record_id, typed_distance, distance from name_matches
    union all
    select other_record_id, record_id, typed_distance, distance from name_matches
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

name_matched as (
    select p.cluster_id, t.cluster_id as target_cluster_id, m.distance
    from placeable as p
    join directed as m using (record_id)
    join labelled as t on t.record_id = m.other_record_id
    left join contradicted as x on x.cluster_id = p.cluster_id and x.target_cluster_id = t.cluster_id
    where (t.is_anchored
            or (t.has_key and not p.has_key)
            or (t.has_key and t.resolution in ('singleton', 'linked') and t.cluster_id < p.cluster_id
                and m.typed_distance = 0))
        and x.cluster_id is null
),

-- the closest name agreement wins
name_candidates as (
    select m.*, min(m.distance) over (partition by m.cluster_id) as best
    from name_matched as m
),

best_candidates as (
    select distinct cluster_id, target_cluster_id
    from name_candidates
    where distance = best
),

direct_targets as (
    select cluster_id, min(target_cluster_id) as target_cluster_id, count(*) as target_count
    from best_candidates
    group by cluster_id
),

-- the customers a name points to, directly or through a target its own name
-- places: a name that points to a customer and to a caller placed into it
-- points to one customer
pointed_to as (
    select cluster_id, target_cluster_id as pointed_cluster_id from best_candidates
    union
    select c.cluster_id, onward.target_cluster_id
    from best_candidates as c
    join direct_targets as onward on onward.cluster_id = c.target_cluster_id and onward.target_count = 1
),

-- the personal e-mails and phones (none a household's) of those clusters
personal_contacts as (
    select distinct l.cluster_id, k.key_type, k.key_value
    from labelled as l
    join record_keys as k using (record_id)
    left join shared_keys as s using (key_type, key_value)
    where l.cluster_id in (select cluster_id from pointed_to union select pointed_cluster_id from pointed_to)
        and k.key_type in ('email', 'phone')
        and s.key_value is null
),

-- a name is weak evidence: where a cluster and a customer its name points to
-- both hold personal e-mails (or phones) and none of one side's is the
-- other's, even with a slip of a letter, the name is more likely a
-- namesake's, and places nothing
contact_conflicts as (
    select distinct p.cluster_id
    from pointed_to as p
    join personal_contacts as pc on pc.cluster_id = p.cluster_id
    join personal_contacts as tc on tc.cluster_id = p.pointed_cluster_id and tc.key_type = pc.key_type
    group by p.cluster_id, p.pointed_cluster_id, pc.key_type
    having not bool_or(pc.key_value = tc.key_value
        or (pc.key_type = 'email' and {{ emails_one_slip_apart('pc.key_value', 'tc.key_value') }}))
),

direct_placements as (
    select d.*
    from direct_targets as d
    left join contact_conflicts as x using (cluster_id)
    where d.target_count = 1 and x.cluster_id is null
),

-- a target that is placed stands for the customer it joins; the name places
-- the cluster only if one customer holds the closest matches
name_targets as (
    select
        c.cluster_id,
        min(coalesce(onward.target_cluster_id, c.target_cluster_id)) as target_cluster_id,
        count(distinct coalesce(onward.target_cluster_id, c.target_cluster_id)) as target_count,
        bool_or(x.cluster_id is not null) as has_contact_conflict
    from best_candidates as c
    left join direct_placements as onward on onward.cluster_id = c.target_cluster_id
    left join contact_conflicts as x on x.cluster_id = c.cluster_id
    group by c.cluster_id
),

placements as (
    select cluster_id, target_cluster_id, target_count
    from name_targets
    where not (target_count = 1 and has_contact_conflict)
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

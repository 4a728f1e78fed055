-- Connected components of the accepted links, twice: over level 1 links only
-- (strong_component) and over all links (full_component). A record without
-- links is its own component. int_identity__clusters checks them.
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

final as (
    select * from labelled
)

select * from final

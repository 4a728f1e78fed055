{#- Connected components of the accepted links, twice: over level 1 links only
    (strong_component) and over all links (full_component). A record without
    links is its own component. int_identity__checked_components checks them.

    Incremental: a record's signature hashes its identity and its links. A
    night recomputes the closure only over the components that hold a record
    whose signature changed (or that no silo delivers any more), and replaces
    their rows; a new link joins components that both hold such a record, so
    nothing else can be touched. Rows arrive with is_checked false;
    int_identity__checked_components checks them, then sets it. -#}
{{ incremental_per_record(post_hook=[
    "create index if not exists {{ this.name }}_full_idx on {{ this }} (full_component)",
    "delete from {{ this }} as c where not exists (select 1 from {{ ref('int_identity__records') }} as r where r.record_id = c.record_id)",
]) }}

with recursive records as not materialized (
    select * from {{ ref('int_identity__records') }}
),

links as not materialized (
    select * from {{ ref('int_identity__links') }}
),

directed as (
    select record_a as record_id, record_b as neighbour, rule_level from links
    union all
    select record_b, record_a, rule_level from links
),

signatures as (
    select
        r.record_id,
        md5(r.record_hash || coalesce(string_agg(d.neighbour || ':' || d.rule_level, ',' order by d.neighbour), ''))
            as signature
    from records as r
    left join directed as d using (record_id)
    group by r.record_id, r.record_hash
),

{% if is_incremental() %}
changed as (
    select s.record_id
    from signatures as s
    left join {{ this }} as known using (record_id)
    where known.signature is distinct from s.signature
    union
    select known.record_id
    from {{ this }} as known
    where not exists (select 1 from records as r where r.record_id = known.record_id)
),

scope as (
    select record_id from changed
    union
    select known.record_id
    from {{ this }} as known
    where known.full_component in (
        select k.full_component from {{ this }} as k join changed using (record_id)
    )
),
{% else %}
scope as (
    select record_id from records
),
{% endif %}

scoped_links as (
    select l.*
    from links as l
    join scope as a on a.record_id = l.record_a
    join scope as b on b.record_id = l.record_b
),

strong_links as (
    select * from scoped_links where rule_level = 1
),

{{ reachability_cte('strong_reach', 'strong_links') }},

{{ reachability_cte('all_reach', 'scoped_links') }},

labelled as (
    select
        r.record_id,
        coalesce(s.component_id, r.record_id) as strong_component,
        coalesce(a.component_id, r.record_id) as full_component,
        a.component_id is not null as is_linked,
        sig.signature,
        false as is_checked
    from scope
    join records as r using (record_id)
    join signatures as sig using (record_id)
    left join (select record_id, min(reached) as component_id from strong_reach group by record_id) as s
        using (record_id)
    left join (select record_id, min(reached) as component_id from all_reach group by record_id) as a
        using (record_id)
),

final as (
    select * from labelled
)

select * from final

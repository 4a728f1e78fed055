{#- A recursive CTE `name(record_id, reached)` holding, for every record that
    appears in `edges` (columns record_a, record_b), each record it reaches
    through them: the transitive closure. Components are small once links are
    guarded, so the closure's size (sum of squared component sizes) stays
    close to linear. Use inside `with recursive`. -#}
{% macro reachability_cte(name, edges) -%}
{{ name }}_undirected as (
    select record_a as record_id, record_b as neighbour from {{ edges }}
    union all
    select record_b, record_a from {{ edges }}
),

{{ name }}(record_id, reached) as (
    select record_id, record_id from {{ name }}_undirected
    union
    select r.record_id, e.neighbour
    from {{ name }} as r
    join {{ name }}_undirected as e on e.record_id = r.reached
)
{%- endmacro %}

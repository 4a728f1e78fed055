-- The segments declared in customer_segments' meta (models/marts/segments/segments.yml):
-- name, description, owner, whether marketing consent is required, and the rule.
{%- set declared = [] %}
{%- if execute %}
{%- set declared = graph.nodes['model.c360.customer_segments'].config.meta.get('segments', []) %}
{%- endif %}
with declared as (
    {%- for s in declared %}
    select
        {{ text_literal(s['name']) }} as segment,
        {{ text_literal(s.get('description', '')) }} as description,
        {{ text_literal(s.get('owner', '')) }} as owner,
        {{ 'false' if s.get('requires_marketing_consent') is false else 'true' }} as requires_marketing_consent,
        {{ text_literal(s['rule']) }} as rule
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
    {%- if not declared %}
    select null, null, null, null::boolean, null where false
    {%- endif %}
),

final as (
    select
        segment::text as segment,
        description::text as description,
        owner::text as owner,
        requires_marketing_consent::boolean as requires_marketing_consent,
        rule::text as rule
    from declared
)

select * from final

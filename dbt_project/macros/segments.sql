{#- The segments declared in the meta of the customer_segments model
    (models/marts/segments/segments.yml), checked as c360/publishing/segments.py checks them:
    a lower_snake_case name and a rule each; requires_marketing_consent defaults to
    true, the safe side.
    A unit test does not see the model's meta; segments.yml hands it the same list
    as var segments_under_test, through a YAML alias (*segments). -#}
{% macro declared_segments() -%}
{%- set declared = (config.get('meta') or {}).get('segments') or var('segments_under_test', []) -%}
{%- set checked = [] -%}
{%- for s in declared -%}
    {%- if not s.get('name') or not s.get('rule') -%}
        {{ exceptions.raise_compiler_error("segments.yml: segment " ~ loop.index ~ " needs a name and a rule, got " ~ s) }}
    {%- endif -%}
    {%- if not modules.re.match('^[a-z][a-z0-9_]*$', s['name']) -%}
        {{ exceptions.raise_compiler_error("segments.yml: segment name " ~ s['name'] ~ " must be lower_snake_case") }}
    {%- endif -%}
    {%- do checked.append({
        'name': s['name'],
        'rule': s['rule'],
        'requires_marketing_consent': s.get('requires_marketing_consent', true) is not false,
    }) -%}
{%- endfor -%}
{{ return(checked) }}
{%- endmacro %}

{#- Data test: nobody who is erased, restricted or without marketing consent in the
    golden record is a member of a segment that requires marketing consent. -#}
{% test members_may_receive_marketing(model, golden) %}
select s.customer_id, s.segment
from {{ model }} as s
left join {{ golden }} as g on g.customer_id = s.customer_id
where s.requires_marketing_consent
  and (g.customer_id is null or coalesce(g.is_erased, false) or coalesce(g.is_restricted, false)
       or not coalesce(g.marketing_consent, false))
{% endtest %}

{#- The next best activities declared in the meta of the next_best_activity_candidates
    model (models/marts/next_best_activity/activities.yml), as c360/publishing/activities.py
    reads them; that reader checks the file in CI and at every gate run, this macro only
    what SQL generation needs. A unit test does not see the model's meta; activities.yml
    hands it the same list as var activities_under_test, through a YAML alias. -#}
{% macro declared_activities() -%}
{%- set declared = (config.get('meta') or {}).get('activities') or var('activities_under_test', []) -%}
{%- for a in declared -%}
    {%- for field in ('name', 'kind', 'scope', 'priority', 'condition', 'channel', 'reason') -%}
        {%- if a.get(field) is none -%}
            {{ exceptions.raise_compiler_error("activities.yml: activity " ~ loop.index ~ " needs `" ~ field ~ "`, got " ~ a) }}
        {%- endif -%}
    {%- endfor -%}
{%- endfor -%}
{{ return(declared) }}
{%- endmacro %}

{#- The SQL of an activity's channel: a channel by name, the customer's preferred one
    (per product line for a line's activity), or the channel of their open complaint. -#}
{% macro activity_channel(channel) -%}
{%- if channel == 'preferred' -%} preferred_channel
{%- elif channel == 'complaint' -%} open_complaint_channel
{%- else -%} '{{ channel }}'
{%- endif -%}
{%- endmacro %}

{#- Data test: no row for a customer who is erased or restricted, and no activity that
    needs marketing consent for a customer without it (the golden record's state). -#}
{% test activities_respect_consent(model, golden) %}
select a.customer_id, a.activity
from {{ model }} as a
left join {{ golden }} as g on g.customer_id = a.customer_id
where g.customer_id is null or coalesce(g.is_erased, false) or coalesce(g.is_restricted, false)
   or (a.requires_marketing_consent and not coalesce(g.marketing_consent, false))
{% endtest %}

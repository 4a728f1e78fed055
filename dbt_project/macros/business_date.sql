{#- The business date the run builds as of, as a SQL date: var business_date, which
    orchestration passes for the night it builds (c360/orchestration/build.py). It is
    the date's one owner: never the clock nor the latest date in the data, so a night
    rebuilt later gives the same metrics. Checked before it reaches SQL, and required
    whenever a model is compiled to run (parsing, `dbt ls`, needs no date). -#}
{% macro business_date() -%}
{%- set value = var('business_date', none) | string -%}
{%- if execute and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
    {{ exceptions.raise_compiler_error(
        "var business_date is required, as YYYY-MM-DD (got " ~ value ~ "): c360 builds every "
        ~ "model as of one business date; pass it with --vars '{business_date: YYYY-MM-DD}'"
    ) }}
{%- endif -%}
'{{ value }}'::date
{%- endmacro %}

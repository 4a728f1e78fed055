{#- The first business date the history tables keep: var history_retention_days
    (dbt_project.yml's default; orchestration passes C360_HISTORY_RETENTION_DAYS)
    before the business date. Checked before it reaches SQL. -#}
{% macro history_kept_from() -%}
{%- set value = var('history_retention_days') | string -%}
{%- if not (value.isdigit() and 1 <= value | int <= 99999) -%}
    {{ exceptions.raise_compiler_error(
        "var history_retention_days must be a whole number of days from 1 to 99999 (got "
        ~ value ~ "): how long the history tables keep a day's rows"
    ) }}
{%- endif -%}
({{ business_date() }} - {{ value | int }})
{%- endmacro %}

{#- The configuration of an identity model kept per record: a night's rows of
    a record replace its earlier ones, and record_id is indexed for the joins
    that find them. `post_hook` adds the model's own hooks. -#}
{% macro incremental_per_record(post_hook=[]) -%}
{{ config(
    materialized='incremental',
    unique_key='record_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["create index if not exists {{ this.name }}_record_idx on {{ this }} (record_id)"] + post_hook
) }}
{%- endmacro %}

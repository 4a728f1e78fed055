{# Use the schema a folder declares (staging, marts, ...) as is, not prefixed
   with the target schema: the warehouse's schemas are its outward contract. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}

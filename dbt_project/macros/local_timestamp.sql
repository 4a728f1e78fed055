{#- A local wall-clock text in `format` as a timestamptz of time zone `tz`,
    independent of the session's time zone. -#}
{% macro local_timestamp(expr, format, tz) -%}
(to_timestamp({{ expr }}, '{{ format }}') at time zone current_setting('TimeZone')) at time zone {{ tz }}
{%- endmacro %}

{#- The staging normalizations as SQL functions in schema ops, created at the
    start of every dbt run. The privacy step (c360/privacy) runs outside dbt and
    must recognise a person's identifiers in raw rows and quarantined text
    exactly as staging does; the functions call the same macros, so there is one
    set of rules. An advisory lock keeps parallel dbt tasks (cosmos) from
    replacing them at the same moment. -#}
{% macro create_identifier_functions() -%}
do $privacy$
begin
    perform pg_advisory_xact_lock(3600361);
    create schema if not exists ops;
    create or replace function ops.c360_normalize_email(input_text text) returns text
        language sql immutable parallel safe
        as $body$ select {{ normalize_email('input_text') }} $body$;
    create or replace function ops.c360_normalize_phone(input_text text, country text) returns text
        language sql immutable parallel safe
        as $body$ select {{ normalize_phone('input_text', 'country') }} $body$;
    create or replace function ops.c360_normalize_account_id(input_text text) returns text
        language sql immutable parallel safe
        as $body$ select {{ normalize_account_id('input_text') }} $body$;
    create or replace function ops.c360_country_from_postal_code(input_text text) returns text
        language sql immutable parallel safe
        as $body$ select {{ country_from_postal_code('input_text') }} $body$;
end
$privacy$
{%- endmacro %}

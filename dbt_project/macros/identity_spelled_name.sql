{#- Most personal e-mail addresses spell their owner's name: 'jan.smit',
    'jansmit85', 'jan_smit', 'jan.vandenberg'. The letters of an address's
    local part, and the spellings of a full name they are compared with, let
    a visitor known only by an e-mail meet the customers whose name it spells.
    An initial ('j.smit') spells too many people's names to count. -#}

{#- The letters of an e-mail's local part ('jan.smit85@' -> 'jansmit'); NULL
    without an e-mail. -#}
{% macro email_letters(record) -%}
nullif(regexp_replace(split_part({{ record }}.email, '@', 1), '[^a-z]', '', 'g'), '')
{%- endmacro %}

{#- The ways an address spells a full name: given name and surname, with or
    without the prefix; NULLs where the record has no full name. -#}
{% macro name_spellings(record) -%}
array[{{ record }}.given_first_folded || {{ record }}.surname_with_prefix_folded,
      {{ record }}.given_first_folded || {{ record }}.surname_folded]
{%- endmacro %}

{#- True when `email_record`'s address spells `name_record`'s full name. -#}
{% macro email_spells_name(email_record, name_record) -%}
coalesce({{ email_letters(email_record) }} = any({{ name_spellings(name_record) }}), false)
{%- endmacro %}

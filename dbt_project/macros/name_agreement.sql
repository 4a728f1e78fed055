{#- How two records' given names relate: 'same', 'call_name' (Jan/Johannes),
    'initial' (J. / Jan), 'typo' (one edit in a name of 4+ letters), or
    'different'; NULL when either lacks one. `a` and `b` are record aliases
    of int_identity__records. -#}
{% macro given_name_agreement(a, b) -%}
case
    when {{ a }}.given_initial is null or {{ b }}.given_initial is null then null
    when {{ a }}.given_first_folded = {{ b }}.given_first_folded then 'same'
    when {{ a }}.given_canonical = {{ b }}.given_canonical then 'call_name'
    when {{ a }}.given_name_is_initial or {{ b }}.given_name_is_initial then
        case when {{ a }}.given_initial = {{ b }}.given_initial then 'initial' else 'different' end
    when least(length({{ a }}.given_first_folded), length({{ b }}.given_first_folded)) >= 4
        and levenshtein({{ a }}.given_first_folded, {{ b }}.given_first_folded) <= 1 then 'typo'
    else 'different'
end
{%- endmacro %}

{#- 'same' (also 'De Smet' = 'Desmet'), 'typo' (one edit, two from 6 letters
    on, or the same sound and close spelling), 'different', or NULL. -#}
{% macro surname_agreement(a, b) -%}
case
    when {{ a }}.surname_folded is null or {{ b }}.surname_folded is null then null
    when {{ a }}.surname_folded = {{ b }}.surname_folded
        or {{ a }}.surname_with_prefix_folded = {{ b }}.surname_with_prefix_folded then 'same'
    when levenshtein({{ a }}.surname_folded, {{ b }}.surname_folded)
        <= case when least(length({{ a }}.surname_folded), length({{ b }}.surname_folded)) >= 6 then 2 else 1 end
        then 'typo'
    when dmetaphone({{ a }}.surname_folded) = dmetaphone({{ b }}.surname_folded)
        and similarity({{ a }}.surname_folded, {{ b }}.surname_folded) >= 0.4 then 'typo'
    else 'different'
end
{%- endmacro %}

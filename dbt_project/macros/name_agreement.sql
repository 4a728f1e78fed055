{#- How two records' given names relate: 'same', 'call_name' (Jan/Johannes),
    'initial' (J. / Jan), 'typo' (one slip of the keyboard where either name
    has 3+ letters: 'Km' for 'Kim'), or 'different'; NULL when either lacks
    one, or where one holds a given name only and it is the other's surname.
    `a` and `b` are aliases of int_identity__records rows. -#}
{% macro given_name_agreement(a, b) -%}
case
    when {{ a }}.given_initial is null or {{ b }}.given_initial is null then null
    when {{ a }}.given_first_folded = {{ b }}.given_first_folded then 'same'
    when {{ a }}.given_canonical = {{ b }}.given_canonical then 'call_name'
    -- a given name without a surname that is the other's surname: the other
    -- may be typed swapped, so the given names cannot be compared
    when ({{ a }}.surname_folded is null and {{ a }}.given_first_folded in ({{ b }}.surname_folded, {{ b }}.surname_with_prefix_folded))
        or ({{ b }}.surname_folded is null and {{ b }}.given_first_folded in ({{ a }}.surname_folded, {{ a }}.surname_with_prefix_folded))
        then null
    when {{ a }}.given_name_is_initial or {{ b }}.given_name_is_initial then
        case when {{ a }}.given_initial = {{ b }}.given_initial then 'initial' else 'different' end
    when greatest(length({{ a }}.given_first_folded), length({{ b }}.given_first_folded)) >= 3
        and {{ one_slip_apart(a ~ '.given_first_folded', b ~ '.given_first_folded') }} then 'typo'
    else 'different'
end
{%- endmacro %}

{#- 'same' (also 'De Smet' = 'Desmet'), 'typo' (one edit, two from 6 letters
    on, two neighbours swapped ('Piug'), the same sound and close spelling, or
    the same last word of 4+ letters: a mistyped prefix or a part left out),
    'different', or NULL. -#}
{% macro surname_agreement(a, b) -%}
case
    when {{ a }}.surname_folded is null or {{ b }}.surname_folded is null then null
    when {{ a }}.surname_folded = {{ b }}.surname_folded
        or {{ a }}.surname_with_prefix_folded = {{ b }}.surname_with_prefix_folded then 'same'
    when levenshtein({{ a }}.surname_folded, {{ b }}.surname_folded)
        <= case when least(length({{ a }}.surname_folded), length({{ b }}.surname_folded)) >= 6 then 2 else 1 end
        then 'typo'
    when {{ one_slip_apart(a ~ '.surname_folded', b ~ '.surname_folded') }} then 'typo'
    when dmetaphone({{ a }}.surname_folded) = dmetaphone({{ b }}.surname_folded)
        and similarity({{ a }}.surname_folded, {{ b }}.surname_folded) >= 0.4 then 'typo'
    when {{ a }}.surname_last_word_folded = {{ b }}.surname_last_word_folded
        and length({{ a }}.surname_last_word_folded) >= 4 then 'typo'
    else 'different'
end
{%- endmacro %}

{#- True when `a` holds `b`'s name the other way round: a's given-name field
    holds b's last name (with or without its prefix, perhaps with one slip) and
    a's last-name field holds b's given name (or its initial, or one slip). -#}
{% macro names_swapped(a, b) -%}
coalesce(
    ({{ a }}.given_name_folded in ({{ b }}.surname_folded, {{ b }}.surname_with_prefix_folded)
     or {{ one_slip_apart(a ~ '.given_name_folded', b ~ '.surname_with_prefix_folded') }}
     or {{ one_slip_apart(a ~ '.given_name_folded', b ~ '.surname_folded') }})
    and ({{ a }}.surname_folded = {{ b }}.given_name_folded
         or {{ a }}.surname_folded = {{ b }}.given_first_folded
         or (length({{ a }}.surname_folded) = 1 and {{ a }}.surname_folded = {{ b }}.given_initial)
         or (length({{ b }}.given_name_folded) = 1 and {{ b }}.given_name_folded = left({{ a }}.surname_folded, 1))
         or {{ one_slip_apart(a ~ '.surname_folded', b ~ '.given_first_folded') }}),
    false)
{%- endmacro %}

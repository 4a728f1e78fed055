{#- How two records' given names relate: 'same' (also a compound name written
    together, hyphenated or apart: 'Anne-Marie', 'Anne Marie', 'Annemarie'),
    'call_name' (Jan/Johannes), 'initial' (J. / Jan, J.W. / Jan-Willem, T. /
    Dorus: the register's Theodorus),
    'compound_part' (Anne / Anne-Marie: one part of a compound name), 'typo'
    (one slip of the keyboard where either name has 3+ letters: 'Km' for 'Kim';
    two slips in names of 7+ letters that sound the same, or into a spelling
    of 4+ letters that no other record holds; a slip in a formal name beside
    its call name), or 'different'; NULL
    when either lacks one, or where one holds a given name only and it is the
    other's surname. `a` and `b` are aliases of int_identity__records rows. -#}
{% macro given_name_agreement(a, b) -%}
case
    when {{ a }}.given_initial is null or {{ b }}.given_initial is null then null
    when {{ a }}.given_first_folded = {{ b }}.given_first_folded then 'same'
    when not {{ a }}.given_name_is_initial and not {{ b }}.given_name_is_initial
        and {{ a }}.given_name_folded = {{ b }}.given_name_folded then 'same'
    when string_to_array({{ a }}.given_canonical, ' ') && string_to_array({{ b }}.given_canonical, ' ') then 'call_name'
    -- a given name without a surname that is the other's surname: the other
    -- may be typed swapped, so the given names cannot be compared
    when ({{ a }}.surname_folded is null and {{ a }}.given_first_folded in ({{ b }}.surname_folded, {{ b }}.surname_with_prefix_folded))
        or ({{ b }}.surname_folded is null and {{ b }}.given_first_folded in ({{ a }}.surname_folded, {{ a }}.surname_with_prefix_folded))
        then null
    when {{ a }}.given_name_is_initial or {{ b }}.given_name_is_initial then
        case when {{ a }}.given_initial = {{ b }}.given_initial
            -- 'T.' of the register's Theodorus beside the call name Dorus
            or left({{ a }}.given_initial, 1) = any(array(select left(f, 1) from unnest(string_to_array({{ b }}.given_canonical, ' ')) as f))
            or left({{ b }}.given_initial, 1) = any(array(select left(f, 1) from unnest(string_to_array({{ a }}.given_canonical, ' ')) as f))
            then 'initial' else 'different' end
    when {{ compound_part(a, b) }} or {{ compound_part(b, a) }} then 'compound_part'
    when greatest(length({{ a }}.given_first_folded), length({{ b }}.given_first_folded)) >= 3
        and {{ one_slip_apart(a ~ '.given_first_folded', b ~ '.given_first_folded') }} then 'typo'
    -- a slip in a formal name beside a call name of it ('Cornnelia', 'Corrie')
    when length({{ a }}.given_first_folded) >= 5 and exists (
            select 1 from unnest(string_to_array({{ b }}.given_canonical, ' ')) as f
            where f <> {{ b }}.given_first_folded and {{ one_slip_apart(a ~ '.given_first_folded', 'f') }})
        or length({{ b }}.given_first_folded) >= 5 and exists (
            select 1 from unnest(string_to_array({{ a }}.given_canonical, ' ')) as f
            where f <> {{ a }}.given_first_folded and {{ one_slip_apart(b ~ '.given_first_folded', 'f') }})
        then 'typo'
    when least(length({{ a }}.given_name_folded), length({{ b }}.given_name_folded)) >= 7
        and levenshtein({{ a }}.given_name_folded, {{ b }}.given_name_folded) <= 2
        and dmetaphone({{ a }}.given_name_folded) = dmetaphone({{ b }}.given_name_folded) then 'typo'
    -- two slips from a name, into a spelling no other record holds ('Lkndwey')
    when least(length({{ a }}.given_first_folded), length({{ b }}.given_first_folded)) >= 4
        and least({{ a }}.given_first_records, {{ b }}.given_first_records) = 1
        and levenshtein({{ a }}.given_first_folded, {{ b }}.given_first_folded) <= 2 then 'typo'
    else 'different'
end
{%- endmacro %}

{#- True when `a`'s given name is compound ('Anne-Marie', 'Jan Peter') and
    `b`'s (of 3+ letters) is one of its parts. -#}
{% macro compound_part(a, b) -%}
coalesce({{ a }}.given_name ~ '[[:alpha:]][-[:space:]]+[[:alpha:]]'
    and length({{ b }}.given_name_folded) >= 3
    and {{ b }}.given_name_folded = any(array(
        select {{ fold_name('part') }} from regexp_split_to_table({{ a }}.given_name, '[-[:space:]]+') as part)), false)
{%- endmacro %}

{#- 'same' (also 'De Smet' = 'Desmet'), 'typo' (one edit, two from 6 letters
    on, two neighbours swapped ('Piug'), the same sound and close spelling, the
    same last word of 4+ letters: a mistyped prefix or a part left out, or one
    part of a double surname: 'Jansen-de Vries' beside 'de Vries' or 'Jansen',
    a married name before or after the birth name), 'different', or NULL. -#}
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
    when string_to_array(coalesce({{ a }}.surname_parts, {{ a }}.surname_folded), ' ')
        && string_to_array(coalesce({{ b }}.surname_parts, {{ b }}.surname_folded), ' ') then 'typo'
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


{#- How two birth dates relate: 'same'; 'near' when one is a slip of the other
    that registers make every day (day and month swapped, one digit off, the
    year off by one or by ten); 'different' otherwise; NULL when either is
    unknown. Only 'different' contradicts. `a` and `b` are date expressions. -#}
{% macro birth_date_agreement(a, b) -%}
case
    when {{ a }} is null or {{ b }} is null then null
    when {{ a }} = {{ b }} then 'same'
    when {{ birth_dates_near(a, b) }} then 'near'
    else 'different'
end
{%- endmacro %}

{#- Same year with a digit of month or day off or the two swapped; or the same
    day with the year one off, or one digit off within ten years (1985/1975).
    Further apart is another person: a parent born 30 years earlier on the
    same day differs in one digit too. -#}
{% macro birth_dates_near(a, b) -%}
(case
    when extract(year from {{ a }}) = extract(year from {{ b }}) then
        levenshtein(to_char({{ a }}, 'MMDD'), to_char({{ b }}, 'MMDD')) = 1
        or (extract(month from {{ a }}) = extract(day from {{ b }})
            and extract(day from {{ a }}) = extract(month from {{ b }}))
    when to_char({{ a }}, 'MMDD') = to_char({{ b }}, 'MMDD') then
        abs(extract(year from {{ a }}) - extract(year from {{ b }})) = 1
        or (abs(extract(year from {{ a }}) - extract(year from {{ b }})) <= 10
            and levenshtein(to_char({{ a }}, 'YYYY'), to_char({{ b }}, 'YYYY')) = 1)
    else false
end)
{%- endmacro %}

{#- Normalisation of personal identifiers, shared by every staging model so that
    the same e-mail, phone or name typed in two silos becomes the same value. -#}

{#- Dutch and Flemish surname prefixes (tussenvoegsels), lower case, with the
    abbreviations registers use for 'van de(r/n)' ('vd', 'v.d.', 'v/d'). A
    prefix is only recognised when a word follows it, so 'De' alone stays a
    surname. -#}
{% macro surname_prefix_regex() -%}
(?:van|von|vande|vander|vanden|vd|v\.\s?d\.|v/d|de|der|den|het|ter|ten|te|op|in|aan|bij|uit|onder|voor|la|le|du|des|di|da|del|della|dos|''t|d'')
{%- endmacro %}

{#- Lower case, diacritics removed, everything but letters dropped: the form
    names are compared in. The original stays in its own column for display. -#}
{% macro fold_name(expr) -%}
nullif(regexp_replace(lower(unaccent({{ expr }})), '[^a-z]', '', 'g'), '')
{%- endmacro %}

{#- A last name may carry its prefix in front ('van der Berg') or, register
    style, behind a comma ('Berg, van der'). -#}
{% macro surname_prefix(last_name) -%}
case
    when {{ last_name }} like '%,%' then nullif(lower(btrim(regexp_replace(split_part({{ last_name }}, ',', 2), '\s+', ' ', 'g'))), '')
    else nullif(lower(btrim(regexp_replace(substring(btrim({{ last_name }}) from '(?i)^((?:{{ surname_prefix_regex() }}\s+)*)\S'), '\s+', ' ', 'g'))), '')
end
{%- endmacro %}

{% macro surname_core(last_name) -%}
case
    when {{ last_name }} like '%,%' then nullif(btrim(split_part({{ last_name }}, ',', 1)), '')
    else nullif(btrim(regexp_replace(btrim({{ last_name }}), '^(?:{{ surname_prefix_regex() }}\s+)*', '', 'i')), '')
end
{%- endmacro %}

{#- The columns every person-bearing staging model exposes for a name that
    arrives as given name and last name (the last name may carry a prefix). -#}
{% macro person_name_columns(given_name, last_name) -%}
    nullif(btrim({{ given_name }}), '') as given_name,
    {{ surname_prefix(last_name) }} as surname_prefix,
    {{ surname_core(last_name) }} as surname,
    {{ fold_name(given_name) }} as given_name_folded,
    {{ fold_name(surname_core(last_name)) }} as surname_folded,
    -- 'J.', 'J.W.', 'J W', two capitals ('AM' for Anne-Marie) and three without
    -- a vowel ('JWM'): initials, not a name
    coalesce(btrim({{ given_name }}) ~ '^([[:alpha:]]\.\s*)+$|^[[:alpha:]]$|^([[:alpha:]]\s)+[[:alpha:]]$|^[A-Z]{2}$|^[B-DF-HJ-NP-TV-Z]{3}$', false)
        as given_name_is_initial
{%- endmacro %}

{#- A free-text full name, after `clean_full_name`: 'Last, First' (split at
    the last comma, so 'Berg, van der, Jan' keeps its register-style last name)
    or 'First [prefix] Last' (the last name is the final word with any prefix
    words right before it). -#}
{% macro full_name_given(full_name) -%}
case
    when {{ full_name }} like '%,%' then nullif(btrim(substring({{ full_name }} from ',([^,]*)$')), '')
    else nullif(btrim(regexp_replace({{ full_name }}, '(^|\s+)(?:{{ surname_prefix_regex() }}\s+)*\S+$', '', 'i')), '')
end
{%- endmacro %}

{% macro full_name_last(full_name) -%}
case
    when {{ full_name }} like '%,%' then nullif(btrim(substring({{ full_name }} from '^(.*),[^,]*$')), '')
    else nullif(btrim(substring({{ full_name }} from '(?i)(?:^|\s)((?:{{ surname_prefix_regex() }}\s+)*\S+)$')), '')
end
{%- endmacro %}

{#- A name as an agent typed it: notes after it ('"terugbellen"', '; via
    balie', a line break) removed, and a register-style prefix behind a comma
    put back in front ('Jan Berg, van der' -> 'Jan van der Berg'). -#}
{% macro clean_full_name(full_name) -%}
nullif(btrim(regexp_replace(
    regexp_replace({{ full_name }}, '\s*["();\n\r].*$', ''),
    '^(.*\s)?(\S+)\s*,\s*({{ surname_prefix_regex() }}(?:\s+{{ surname_prefix_regex() }})*)\s*$', '\1\3 \2', 'i'
)), '')
{%- endmacro %}

{#- The consumer mail domains people in NL and BE type most. -#}
{% macro common_email_domains() -%}
{{ return(['gmail.com', 'hotmail.com', 'hotmail.nl', 'hotmail.be', 'outlook.com', 'live.nl',
           'live.be', 'icloud.com', 'yahoo.com', 'ziggo.nl', 'kpnmail.nl', 'planet.nl',
           'xs4all.nl', 'home.nl', 'telenet.be', 'skynet.be', 'proximus.be']) }}
{%- endmacro %}

{#- True when b is a one-key slip of a: one letter added, dropped, replaced,
    or two neighbours swapped. -#}
{% macro one_slip_apart(a, b) -%}
case
    when levenshtein({{ a }}, {{ b }}) = 1 then true
    when length({{ a }}) = length({{ b }}) and levenshtein({{ a }}, {{ b }}) = 2 then
        (select string_agg(c, '' order by c) from regexp_split_to_table({{ a }}, '') as c)
        = (select string_agg(c, '' order by c) from regexp_split_to_table({{ b }}, '') as c)
    else false
end
{%- endmacro %}

{#- An e-mail address trimmed, in lower case, without spaces; NULL when it is
    not an address (one without '@' is never used to match). A domain one slip
    away from exactly one common consumer domain becomes that domain: such a
    near-miss domain delivers no mail to the person, so the correction only
    restores the address they meant. googlemail.com is gmail.com. Dots in a
    Gmail local part are kept although Gmail ignores them: two addresses that
    differ only by a dot are more often two namesakes than one person. -#}
{% macro normalize_email(expr) -%}
{%- set cleaned = "lower(regexp_replace(" ~ expr ~ ", '\\s', '', 'g'))" -%}
{%- set local = "split_part(" ~ cleaned ~ ", '@', 1)" -%}
{%- set typed_domain = "split_part(" ~ cleaned ~ ", '@', 2)" -%}
{%- set domain -%}
case
    when {{ typed_domain }} in ('{{ common_email_domains() | join("', '") }}') then {{ typed_domain }}
    when {{ typed_domain }} = 'googlemail.com' then 'gmail.com'
    else coalesce((
        select min(known.domain)
        from unnest(array['{{ common_email_domains() | join("', '") }}']) as known(domain)
        where {{ one_slip_apart(typed_domain, 'known.domain') }}
        having count(*) = 1
    ), {{ typed_domain }})
end
{%- endset -%}
case
    when {{ cleaned }} ~ '^[^@]+@[^@]+\.[a-z]{2,}$' then
        {{ local }} || '@' || ({{ domain }})
end
{%- endmacro %}

{#- E.164 for Dutch (+31 and 9 digits) and Belgian (+32 and 8 or 9 digits)
    numbers. `country` is 'NL', 'BE' or NULL when the silo does not know it; then
    a 9-digit national number is Belgian (Dutch ones have 10) and a 10-digit one
    starting 046-049 is a Belgian mobile. NULL when no valid number remains. -#}
{% macro normalize_phone(expr, country="null") -%}
{%- set d = "regexp_replace(regexp_replace(" ~ expr ~ ", '\\(0\\)', '', 'g'), '[^0-9+]', '', 'g')" -%}
case
    when {{ d }} ~ '^(\+|00)31[1-9][0-9]{8}$' then '+31' || right({{ d }}, 9)
    when {{ d }} ~ '^(\+|00)32[1-9][0-9]{7,8}$' then '+32' || substring({{ d }} from '^(?:\+|00)32([0-9]+)$')
    when {{ d }} ~ '^0[1-9][0-9]{8}$' then
        case
            when {{ country }} = 'BE' then '+32' || substr({{ d }}, 2)
            when {{ country }} = 'NL' then '+31' || substr({{ d }}, 2)
            when {{ d }} ~ '^04[6-9]' then '+32' || substr({{ d }}, 2)
            else '+31' || substr({{ d }}, 2)
        end
    when {{ d }} ~ '^0[1-9][0-9]{7}$' and coalesce({{ country }}, 'BE') = 'BE' then '+32' || substr({{ d }}, 2)
end
{%- endmacro %}

{#- NL '1234AB', BE '1000'; NULL when neither. -#}
{% macro normalize_postal_code(expr) -%}
case
    when upper(regexp_replace({{ expr }}, '\s', '', 'g')) ~ '^[1-9][0-9]{3}([A-Z]{2})?$'
        then upper(regexp_replace({{ expr }}, '\s', '', 'g'))
end
{%- endmacro %}

{% macro country_from_postal_code(expr) -%}
case
    when {{ normalize_postal_code(expr) }} ~ '^[0-9]{4}[A-Z]{2}$' then 'NL'
    when {{ normalize_postal_code(expr) }} ~ '^[0-9]{4}$' then 'BE'
end
{%- endmacro %}

{#- '12', '12A', '12 a', '12-2', '12 bus 3', '12/3' -> '12', '12-a', '12-a',
    '12-2', '12-3', '12-3': number, and the addition after a dash. -#}
{% macro normalize_house_number(expr) -%}
{%- set m = "regexp_match(lower(btrim(" ~ expr ~ ")), '^([0-9]+)\\s*(?:-|/|bus|\\s)?\\s*([a-z0-9]*)$')" -%}
case
    when {{ m }} is not null then
        ({{ m }})[1]::numeric::text || coalesce('-' || nullif(({{ m }})[2], ''), '')
end
{%- endmacro %}

{#- An account id as typed by an agent or a requester: 'FA0012345',
    'fa0012345', '12345' -> 'FA0012345'; NULL when it is not one. -#}
{% macro normalize_account_id(expr) -%}
case
    when btrim({{ expr }}) ~* '^(fa)?\s*[0-9]{1,7}$'
        then 'FA' || lpad(regexp_replace({{ expr }}, '[^0-9]', '', 'g'), 7, '0')
end
{%- endmacro %}

{#- Normalisation of personal identifiers, shared by every staging model so that
    the same e-mail, phone or name typed in two silos becomes the same value. -#}

{#- Dutch and Flemish surname prefixes (tussenvoegsels), lower case. A prefix is
    only recognised when a word follows it, so 'De' alone stays a surname. -#}
{% macro surname_prefix_regex() -%}
(?:van|von|vande|vander|vanden|de|der|den|het|ter|ten|te|op|in|aan|bij|uit|onder|voor|la|le|du|des|di|da|del|della|dos|''t|d'')
{%- endmacro %}

{#- Lower case, diacritics removed, everything but letters dropped: the form
    names are compared in. The original stays in its own column for display. -#}
{% macro fold_name(expr) -%}
nullif(regexp_replace(lower(unaccent({{ expr }})), '[^a-z]', '', 'g'), '')
{%- endmacro %}

{% macro surname_prefix(last_name) -%}
nullif(lower(btrim(regexp_replace(substring(btrim({{ last_name }}) from '^((?:{{ surname_prefix_regex() }}\s+)*)\S'), '\s+', ' ', 'g'))), '')
{%- endmacro %}

{% macro surname_core(last_name) -%}
nullif(btrim(regexp_replace(btrim({{ last_name }}), '^(?:{{ surname_prefix_regex() }}\s+)*', '', 'i')), '')
{%- endmacro %}

{#- The columns every person-bearing staging model exposes for a name that
    arrives as given name and last name (the last name may carry a prefix). -#}
{% macro person_name_columns(given_name, last_name) -%}
    nullif(btrim({{ given_name }}), '') as given_name,
    {{ surname_prefix(last_name) }} as surname_prefix,
    {{ surname_core(last_name) }} as surname,
    {{ fold_name(given_name) }} as given_name_folded,
    {{ fold_name(surname_core(last_name)) }} as surname_folded,
    coalesce(btrim({{ given_name }}) ~ '^([[:alpha:]]\.\s*)+$|^[[:alpha:]]$', false) as given_name_is_initial
{%- endmacro %}

{#- A free-text full name: 'Last, First' or 'First [prefix] Last'. The last name
    is the final word together with any prefix words right before it. -#}
{% macro full_name_given(full_name) -%}
case
    when {{ full_name }} like '%,%' then nullif(btrim(split_part({{ full_name }}, ',', 2)), '')
    else nullif(btrim(regexp_replace(btrim({{ full_name }}), '(^|\s+)(?:{{ surname_prefix_regex() }}\s+)*\S+$', '', 'i')), '')
end
{%- endmacro %}

{% macro full_name_last(full_name) -%}
case
    when {{ full_name }} like '%,%' then nullif(btrim(split_part({{ full_name }}, ',', 1)), '')
    else nullif(btrim(substring(btrim({{ full_name }}) from '(?:^|\s)((?:{{ surname_prefix_regex() }}\s+)*\S+)$')), '')
end
{%- endmacro %}

{#- Obvious typos of the big mail providers' domains. Such a domain receives no
    mail for the person, so the correction cannot link two different people that
    the typed address would not: it only restores the address they meant. -#}
{% macro email_domain_corrections() -%}
{{ return({
    'gmial.com': 'gmail.com', 'gmai.com': 'gmail.com', 'gmail.co': 'gmail.com',
    'gmail.con': 'gmail.com', 'gnail.com': 'gmail.com', 'gmaill.com': 'gmail.com',
    'hotmial.com': 'hotmail.com', 'hotmai.com': 'hotmail.com', 'hotmail.con': 'hotmail.com',
    'hotmal.com': 'hotmail.com', 'outlok.com': 'outlook.com', 'outlook.con': 'outlook.com',
    'yahoo.con': 'yahoo.com', 'yaho.com': 'yahoo.com',
    'hotmail.nll': 'hotmail.nl', 'ziggo.nll': 'ziggo.nl', 'kpnmail.nll': 'kpnmail.nl',
    'telenet.bee': 'telenet.be', 'skynet.bee': 'skynet.be'
}) }}
{%- endmacro %}

{#- Trimmed, lower case, spaces removed, typo domains corrected; NULL when the
    result is not an address (an address without '@' is never used to match). -#}
{% macro normalize_email(expr) -%}
{%- set cleaned = "lower(regexp_replace(" ~ expr ~ ", '\\s', '', 'g'))" -%}
case
    when {{ cleaned }} ~ '^[^@]+@[^@]+\.[a-z]{2,}$' then
        split_part({{ cleaned }}, '@', 1) || '@' ||
        case split_part({{ cleaned }}, '@', 2)
            {%- for typo, domain in email_domain_corrections().items() %}
            when '{{ typo }}' then '{{ domain }}'
            {%- endfor %}
            else split_part({{ cleaned }}, '@', 2)
        end
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

{#- A calendar date as the BI layer's date key, the integer YYYYMMDD (dim_date). -#}
{% macro date_key(day) -%}
to_char({{ day }}, 'YYYYMMDD')::integer
{%- endmacro %}


{#- Easter Sunday of the Gregorian year `year` (an integer expression), by the anonymous
    Gregorian algorithm (Meeus/Jones/Butcher), in integer arithmetic. -#}
{% macro easter_sunday(year) -%}
(select make_date(y, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1)
 from (select y, h, l, (a + 11 * h + 22 * l) / 451 as m
       from (select y, a, h, (32 + 2 * (b % 4) + 2 * (c / 4) - h - c % 4) % 7 as l
             from (select y, a, c, b,
                          (19 * a + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30 as h
                   from (select ({{ year }})::integer as y, ({{ year }})::integer % 19 as a,
                                ({{ year }})::integer / 100 as b, ({{ year }})::integer % 100 as c
                        ) as years
                  ) as epact
            ) as weekday
      ) as easter)
{%- endmacro %}


{#- The public holidays of the Netherlands and Belgium as rules, not dates: a fixed day of
    the year (month, day) or a number of days after Easter Sunday. King's Day moves to the
    26th when the 27th of April is a Sunday. -#}
{% macro public_holiday_rules() -%}
{{ return([
    {'country': 'NL', 'name': 'Nieuwjaarsdag', 'month': 1, 'day': 1},
    {'country': 'NL', 'name': 'Eerste Paasdag', 'after_easter': 0},
    {'country': 'NL', 'name': 'Tweede Paasdag', 'after_easter': 1},
    {'country': 'NL', 'name': 'Koningsdag', 'month': 4, 'day': 27, 'sunday_to_saturday': true},
    {'country': 'NL', 'name': 'Bevrijdingsdag', 'month': 5, 'day': 5},
    {'country': 'NL', 'name': 'Hemelvaartsdag', 'after_easter': 39},
    {'country': 'NL', 'name': 'Eerste Pinksterdag', 'after_easter': 49},
    {'country': 'NL', 'name': 'Tweede Pinksterdag', 'after_easter': 50},
    {'country': 'NL', 'name': 'Eerste Kerstdag', 'month': 12, 'day': 25},
    {'country': 'NL', 'name': 'Tweede Kerstdag', 'month': 12, 'day': 26},
    {'country': 'BE', 'name': 'Nieuwjaar', 'month': 1, 'day': 1},
    {'country': 'BE', 'name': 'Pasen', 'after_easter': 0},
    {'country': 'BE', 'name': 'Paasmaandag', 'after_easter': 1},
    {'country': 'BE', 'name': 'Dag van de Arbeid', 'month': 5, 'day': 1},
    {'country': 'BE', 'name': 'Onze-Lieve-Heer-Hemelvaart', 'after_easter': 39},
    {'country': 'BE', 'name': 'Pinksteren', 'after_easter': 49},
    {'country': 'BE', 'name': 'Pinkstermaandag', 'after_easter': 50},
    {'country': 'BE', 'name': 'Nationale feestdag', 'month': 7, 'day': 21},
    {'country': 'BE', 'name': 'Onze-Lieve-Vrouw-Hemelvaart', 'month': 8, 'day': 15},
    {'country': 'BE', 'name': 'Allerheiligen', 'month': 11, 'day': 1},
    {'country': 'BE', 'name': 'Wapenstilstand', 'month': 11, 'day': 11},
    {'country': 'BE', 'name': 'Kerstmis', 'month': 12, 'day': 25},
]) }}
{%- endmacro %}


{#- The date a holiday rule gives in the year `year` (an integer expression). -#}
{% macro public_holiday_date(rule, year) -%}
{%- if 'after_easter' in rule -%}
({{ easter_sunday(year) }} + {{ rule['after_easter'] }})
{%- elif rule.get('sunday_to_saturday') -%}
(make_date({{ year }}, {{ rule['month'] }}, {{ rule['day'] }})
 - (extract(isodow from make_date({{ year }}, {{ rule['month'] }}, {{ rule['day'] }})) = 7)::integer)
{%- else -%}
make_date({{ year }}, {{ rule['month'] }}, {{ rule['day'] }})
{%- endif -%}
{%- endmacro %}


{#- A web address's path without query or fragment, which may carry an e-mail or a token. -#}
{% macro url_path(url) -%}
nullif(substring({{ url }} from '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)'), '')
{%- endmacro %}


{#- A web address's host without www., lower case. -#}
{% macro url_domain(url) -%}
lower(substring({{ url }} from '^[A-Za-z][A-Za-z0-9+.-]*://(?:www\.)?([^/:?#]+)'))
{%- endmacro %}


{#- A text as a SQL string literal, its quotes doubled. -#}
{% macro text_literal(value) -%}
'{{ (value | string | trim) | replace("'", "''") }}'
{%- endmacro %}

{#- True when e-mail addresses `a` and `b` (expressions) are the same mailbox
    typed with one slip of a letter: the same domain, the same separators and
    digits, since namesakes' addresses differ in just those ('jan.smit@' /
    'jan_smit@' / 'jan.smit2@' / 'jansmit@'), and one letter added, dropped,
    replaced or swapped. -#}
{% macro emails_one_slip_apart(a, b) -%}
({{ a }} <> {{ b }} and split_part({{ a }}, '@', 2) = split_part({{ b }}, '@', 2)
    and regexp_replace(split_part({{ a }}, '@', 1), '[a-z]', '', 'g')
        = regexp_replace(split_part({{ b }}, '@', 1), '[a-z]', '', 'g')
    and {{ one_slip_apart("split_part(" ~ a ~ ", '@', 1)", "split_part(" ~ b ~ ", '@', 1)") }})
{%- endmacro %}

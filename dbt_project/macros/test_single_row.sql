{#- Data test: the model holds exactly one row (a one-row parameter model). -#}
{% test single_row(model) %}
select count(*) as row_count
from {{ model }}
having count(*) <> 1
{% endtest %}

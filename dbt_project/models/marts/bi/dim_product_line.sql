-- The product lines (seed bi_product_lines), and any other line a published fact carries
-- (a silo's new line before the seed knows it), so every fact's product line joins here.
{%- set facts = ['fct_purchase_lines', 'fct_web_sessions', 'fct_invoices', 'fct_invoice_payments'] %}
with declared as (
    select * from {{ ref('bi_product_lines') }}
),

in_facts as (
    {%- for model in facts %}
    select product_line from {{ ref(model) }} where product_line is not null
    {%- if not loop.last %}
    union{% endif %}
    {%- endfor %}
),

final as (
    select
        coalesce(d.product_line, f.product_line)::text as product_line,
        coalesce(d.description, 'Not among the declared product lines')::text as description,
        (d.product_line is not null)::boolean as is_declared
    from declared as d
    full join in_facts as f on f.product_line = d.product_line
)

select * from final

-- Purchases and revenue credited to the content of each product line (the line the touched
-- page shows), beside the line that was bought, per attribution model and purchase month
-- (macro attribution_conversions).
{{ attribution_conversions(
    ref('int_attribution__credits'),
    {'product_line': 'content_product_line'},
    {'purchased_product_line': 'purchased_product_line'}
) }}

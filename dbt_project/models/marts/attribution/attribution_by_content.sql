-- Purchases and revenue credited to each page (path and title), per attribution model and
-- purchase month (macro attribution_conversions).
{{ attribution_conversions(
    ref('int_attribution__credits'),
    {'page_path': 'page_path', 'page_title': 'page_title'}
) }}

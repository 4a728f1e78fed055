-- Purchases and revenue credited to each campaign (utm source, medium and campaign), per
-- attribution model and purchase month (macro attribution_conversions).
{{ attribution_conversions(
    ref('int_attribution__credits'),
    {'utm_source': 'utm_source', 'utm_medium': 'utm_medium', 'utm_campaign': 'utm_campaign'}
) }}

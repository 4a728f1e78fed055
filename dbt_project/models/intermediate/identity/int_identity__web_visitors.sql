-- One row per identified web visitor (cookie): one who typed traits or logged in.
-- Each trait is the most recent value the visitor typed. The name is taken
-- whole from one event, the latest with both names (else the latest with
-- one): mixing the fields of two events gives a name typed swapped on one of
-- them the same word twice. The web account is the most recent user_id seen
-- on the cookie.
with events as (
    select * from {{ ref('stg_web__events') }}
    where anonymous_id is not null and (has_traits or user_id is not null)
),

named as (
    select *, coalesce(given_name, surname) is not null as has_name,
        given_name is not null and surname is not null as has_full_name
    from events
),

aggregated as (
    select
        anonymous_id,
        (array_agg(given_name order by has_full_name desc, occurred_at desc, event_id) filter (where has_name))[1] as given_name,
        (array_agg(surname_prefix order by has_full_name desc, occurred_at desc, event_id) filter (where has_name))[1] as surname_prefix,
        (array_agg(surname order by has_full_name desc, occurred_at desc, event_id) filter (where has_name))[1] as surname,
        (array_agg(given_name_folded order by has_full_name desc, occurred_at desc, event_id) filter (where has_name))[1] as given_name_folded,
        (array_agg(surname_folded order by has_full_name desc, occurred_at desc, event_id) filter (where has_name))[1] as surname_folded,
        coalesce((array_agg(given_name_is_initial order by has_full_name desc, occurred_at desc, event_id) filter (where has_name))[1], false) as given_name_is_initial,
        (array_agg(email order by occurred_at desc, event_id) filter (where email is not null))[1] as email,
        (array_agg(phone_e164 order by occurred_at desc, event_id) filter (where phone_e164 is not null))[1] as phone_e164,
        (array_agg(postal_code order by occurred_at desc, event_id) filter (where postal_code is not null))[1] as postal_code,
        (array_agg(user_id order by occurred_at desc, event_id) filter (where user_id is not null))[1] as web_user_id,
        max(occurred_at) as observed_at
    from named
    group by anonymous_id
),

final as (
    select * from aggregated
)

select * from final

-- Every identity-bearing source record once, in one shape: normalized name,
-- contact keys, address and birth date. record_id = source_system:source_key.
with finance as (
    select
        'finance' as source_system,
        account_id as source_key,
        given_name, surname_prefix, surname, given_name_folded, surname_folded, given_name_is_initial,
        email, phone_e164, street, house_number, postal_code, city, country_code,
        date_of_birth,
        account_id, null::text as card_number, null::text as web_user_id,
        updated_at as observed_at
    from {{ ref('stg_finance__accounts') }}
),

store as (
    select
        'store', card_number,
        given_name, surname_prefix, surname, given_name_folded, surname_folded, given_name_is_initial,
        email, phone_e164, null, house_number, postal_code, null, country_code,
        birth_date,
        null, card_number, null,
        updated_at
    from {{ ref('stg_store__loyalty_members') }}
),

contact_center as (
    select
        'contact_center', interaction_id,
        given_name, surname_prefix, surname, given_name_folded, surname_folded, given_name_is_initial,
        email, phone_e164, null, null, null, null, null,
        null::date,
        ref_account_id, ref_card_number, null,
        started_at
    from {{ ref('stg_contact_center__interactions') }}
    where has_caller_identity
),

web as (
    select
        'web', anonymous_id,
        given_name, surname_prefix, surname, given_name_folded, surname_folded, given_name_is_initial,
        email, phone_e164, null, null, postal_code, {{ country_from_postal_code('postal_code') }}, null,
        null::date,
        null, null, web_user_id,
        observed_at
    from {{ ref('int_identity__web_visitors') }}
),

unioned as (
    select * from finance
    union all select * from store
    union all select * from contact_center
    union all select * from web
),

-- the formal names a given name may stand for, apart by spaces: 'nel' is
-- Cornelia's call name and Petronella's
variants as (
    select given_name_folded, string_agg(canonical_given_name, ' ' order by canonical_given_name) as canonical_given_names
    from {{ ref('given_name_variants') }}
    group by given_name_folded
),

with_keys as (
    select
        source_system || ':' || source_key as record_id,
        unioned.*,
        -- how many records give this birth date, against the average day of its year
        count(*) over (partition by date_of_birth) as birth_date_records,
        count(*) over (partition by extract(year from date_of_birth)) / 365.0 as birth_year_records_per_day,
        -- the first of several given names is the one people are called by
        {{ fold_name("split_part(btrim(given_name), ' ', 1)") }} as given_first_folded,
        coalesce(surname_prefix, '') || coalesce(surname_folded, '') as surname_key_raw
    from unioned
),

final as (
    select
        w.record_id,
        w.source_system,
        w.source_key,
        w.given_name,
        w.surname_prefix,
        w.surname,
        w.given_name_is_initial,
        case when w.given_name_is_initial then null else w.given_first_folded end as given_first_folded,
        w.given_name_folded,
        -- how many records give this first given name: a spelling only one record
        -- holds is more likely a slip than another person's name
        case when not w.given_name_is_initial and w.given_first_folded is not null
            then count(*) over (partition by w.given_first_folded) end as given_first_records,
        left(w.given_name_folded, 1) as given_initial,
        case when not w.given_name_is_initial
            then coalesce(v.canonical_given_names, w.given_first_folded) end as given_canonical,
        w.surname_folded,
        -- the last word of a long surname ('Henric van den Nuwenhuse') is the
        -- part every silo keeps
        {{ fold_name("substring(w.surname from '(\\S+)$')") }} as surname_last_word_folded,
        -- 'De Smet' and 'Desmet' are one Flemish surname: compare with the prefix too
        nullif(regexp_replace(lower(unaccent(w.surname_key_raw)), '[^a-z]', '', 'g'), '') as surname_with_prefix_folded,
        -- a double surname ('Jansen-de Vries', a married name beside the birth
        -- name): its parts, each without its prefix, apart by spaces (text, as
        -- dbt's unit tests cannot type an array column)
        case when w.surname like '%-%' then array_to_string(array(
            select {{ fold_name("regexp_replace(btrim(part), '^(?:" ~ surname_prefix_regex() ~ "\\s+)*', '', 'i')") }}
            from unnest(string_to_array(w.surname, '-')) as part
            where {{ fold_name('part') }} is not null
        ), ' ') end as surname_parts,
        w.email,
        w.phone_e164,
        w.street,
        w.house_number,
        w.postal_code,
        w.city,
        w.country_code,
        -- a date typed when the true one was unknown is no evidence either way:
        -- the forms' defaults, and a 1 January far more records give than any day
        case when not (w.date_of_birth in ('1900-01-01', '1901-01-01', '1970-01-01')
                       or (to_char(w.date_of_birth, 'MM-DD') = '01-01' and w.birth_date_records >= 5
                           and w.birth_date_records > 10 * w.birth_year_records_per_day))
            then w.date_of_birth end as date_of_birth,
        w.account_id,
        w.card_number,
        w.web_user_id,
        w.observed_at,
        w.surname_folded is not null and w.given_name_folded is not null
            and coalesce(w.email, w.phone_e164, w.account_id, w.card_number, w.web_user_id,
                         w.postal_code, w.date_of_birth::text) is null as is_name_only,
        md5(concat_ws('|', w.given_name, w.surname_prefix, w.surname, w.email, w.phone_e164,
                      w.street, w.house_number, w.postal_code, w.city, w.country_code,
                      w.date_of_birth, w.account_id, w.card_number, w.web_user_id)) as record_hash
    from with_keys as w
    left join variants as v
        on v.given_name_folded = w.given_first_folded
)

select * from final

"""Identity resolution end to end: hand-made raw rows with the hard cases, a real
`c360 dbt build` (which also runs the dbt unit tests), and assertions on who is
one customer and who is not, id stability, and the merge relation.

One warehouse is built once for the module: night 1 is built twice (ids must
not change), then night 2 adds a record that bridges two customers; the
resolution models, incremental that night, are then rebuilt from scratch.
"""

from __future__ import annotations

import json
from datetime import date

import psycopg
import pytest

from c360.ingest.partitions import date_partitions
from c360.warehouse.bootstrap import bootstrap
from tests.dbt_helpers import MODELS_ONLY, dbt_build, dbt_env

NIGHT_1, NIGHT_2 = "2026-11-01", "2026-11-02"

# (account_id, first, last, email, phone, street, house, postal, city, country, dob)
ACCOUNTS = [
    # a household: landline, family e-mail and address shared, different people
    ("FA0000001", "Jan", "van der Berg", "familie.vdberg@ziggo.nl", "020-1234567",
     "Kerkstraat", "12", "1234 AB", "Amsterdam", "NL", "1970-01-01"),
    ("FA0000002", "Marie", "Van der Berg", "Familie.VDBerg@ziggo.nl ", "+31 20 123 4567",
     "Kerkstraat", "12", "1234AB", "Amsterdam", "NL", "1972-05-05"),
    # a common name in one city: two different people
    ("FA0000003", "Piet", "Jansen", "piet.jansen@gmail.com", "06-22222222",
     "Oudegracht", "5", "3511 AA", "Utrecht", "NL", "1980-02-02"),
    ("FA0000004", "Piet", "Jansen", None, "06-33333333",
     "Oudegracht", "7", "3511 AB", "Utrecht", "NL", "1985-03-03"),
    # Flemish prefix written two ways, Belgian mobile in two formats
    ("FA0000005", "Ann", "De Smet", None, "0470 12 34 56",
     "Veldstraat", "3 bus 2", "9000", "Gent", "BE", "1990-09-09"),
    # typo domain in the e-mail; name swapped on the web
    ("FA0000006", "Kees", "Bakker", "kees.bakker@gmial.com", None,
     "Lange Voorhout", "1", "2500 AA", "Den Haag", "NL", "1960-04-04"),
    # an initial only
    ("FA0000007", "J.", "de Vries", None, None,
     "Markt", "1", "3000 AA", "Rotterdam", "NL", "1965-06-06"),
    # diacritics
    ("FA0000008", "Zoë", "Müller", None, None,
     "Stationsweg", "8", "6711 PK", "Ede", "NL", "1995-08-08"),
    # typo in the surname elsewhere
    ("FA0000009", "Thomas", "Hendriks", "t.hendriks@example.nl", None,
     "Stratumseind", "10", "5611 AB", "Eindhoven", "NL", "1975-07-07"),
    # a call name (Johannes / Jan)
    ("FA0000010", "Johannes", "Smit", "j.smit@example.nl", None,
     "Dorpsstraat", "2", "7411 AA", "Deventer", "NL", "1950-10-10"),
    # night 2 bridges her to her web visit
    ("FA0000011", "Eva", "Visser", None, "06-44444444",
     "Brink", "4", "7411 AB", "Deventer", "NL", "1988-11-11"),
]

# (card, first, last, email, phone, postal, house, birth_date, opt_in)
MEMBERS = [
    ("2000000000001", "Jan", "Van der Berg", "familie.vdberg@ziggo.nl", "0201234567",
     "1234AB", "12", "1970-01-01", "Y"),
    ("2000000000002", "Ann", "Desmet", None, "+32 470 123456", "9000", "3-2", "1990-09-09", "N"),
    ("2000000000004", "Johan", "de Vries", None, None, "3000AA", "1", "1965-06-06", "Y"),
    ("2000000000005", "Zoe", "Muller", None, None, "6711PK", "8", "1995-08-08", "N"),
    ("2000000000006", "Thomas", "Hendricks", None, None, "5611 ab", "10", "1975-07-07", "Y"),
]

# (interaction_id, customer_ref, caller_name, phone, email)
INTERACTIONS = [
    ("CC-1", "fa0000003", "Piet Jansen", None, None),           # account typed in lower case
    ("CC-2", "4", None, None, None),                            # account typed as a bare number
    ("CC-3", "2000000000006", "Hendriks, Thomas", None, None),  # loyalty card, 'Last, First'
    ("CC-4", None, None, "020 123 45 67", None),                # household landline alone
    ("CC-5", None, "van der Berg, Marie", "020-1234567", None),  # landline and full name
    ("CC-6", None, "Piet Jansen", None, None),                  # a name that fits two people
    ("CC-7", None, "Jan Smit", None, "J.Smit@example.nl"),      # call name and personal e-mail
    ("CC-8", None, "Karel Smit", None, "j.smit@example.nl"),    # someone else on that e-mail
    ("CC-9", "fa0000010", "Karel Smit", None, None),            # calls about another's account
    ("CC-10", None, "Zoë Müller", None, None),                  # a name that fits one person
    ("CC-11", None, "Thomas Hendriks", "06-55555555", None),    # a mobile nobody else typed
    ("CC-12", None, "Piet Jansen", "06-66666666", None),        # the same, a name two people have
    ("CC-13", None, "Lotte Kramer", "06-77777777", None),       # known to the contact center only:
    ("CC-14", None, "Lotte Kramer", None, "lotte.k@example.nl"),  # by mobile, then by e-mail
]

# (event_id, anonymous_id, user_id, event_type, traits)
EVENTS = [
    ("e1", "cookie-fam", None, "newsletter_signup", {"email": "familie.vdberg@ziggo.nl"}),
    ("e2", "cookie-kees", None, "page_view",
     {"first_name": "Bakker", "last_name": "Kees", "postal_code": "2500AA"}),
    ("e3", "cookie-th-1", "WU1", "login", {"email": "T.Hendriks@example.nl"}),
    ("e4", "cookie-th-2", "WU1", "page_view", None),
    # an e-mail that does not spell her name: night 2's card bridges it
    ("e5", "cookie-eva", None, "newsletter_signup", {"email": "e.visser@example.nl"}),
    ("e6", "cookie-anon", None, "page_view", None),  # never identified: not a record
    ("e7", "cookie-kees-mail", None, "newsletter_signup", {"email": "kees.bakker@gmail.com"}),
    # e-mails that spell a customer's name: one customer, two namesakes, one
    # whose own personal e-mail is another
    ("e8", "cookie-zoe", None, "newsletter_signup", {"email": "zoe.muller95@gmail.com"}),
    ("e9", "cookie-piet", None, "newsletter_signup", {"email": "piet_jansen@hotmail.com"}),
    ("e10", "cookie-thomas", None, "newsletter_signup", {"email": "thomashendriks@hotmail.com"}),
]

BRIDGE = ("2000000000011", "Eva", "Visser", "e.visser@example.nl", "06 44444444",
          "7411AB", "4", "1988-11-11", "Y")


# raw tables hold a partition per business date, which loaders make
RAW_TABLES = ("raw_finance.accounts", "raw_contact_center.interactions", "raw_web.events",
              "raw_store.loyalty_members")


def add_date_partitions(conn: psycopg.Connection, business_date: str) -> None:
    with conn.transaction():
        date_partitions(conn, RAW_TABLES, date.fromisoformat(business_date))


def insert_night_1(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        add_date_partitions(conn, "2026-11-01")
        for a in ACCOUNTS:
            conn.execute(
                """insert into raw_finance.accounts
                   (account_id, first_name, last_name, email, phone, street, house_number,
                    postal_code, city, country_code, date_of_birth, status, created_at,
                    updated_at, _batch_id, _business_date, _source_name)
                   values (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'active','2026-01-01','2026-01-01',
                           1,'2026-11-01','billing.accounts')""",
                a,
            )
        insert_members(conn, MEMBERS, "2026-11-01")
        for line, (iid, ref, name, phone, email) in enumerate(INTERACTIONS, start=2):
            conn.execute(
                """insert into raw_contact_center.interactions
                   (interaction_id, started_at, channel, direction, customer_ref, caller_name,
                    caller_phone, caller_email, reason, handle_seconds, wait_seconds, resolved,
                    first_contact_resolution, csat, agent_id, _batch_id, _business_date,
                    _source_name, _line_number)
                   values (%s,'01-11-2026 10:00:00','phone','inbound',%s,%s,%s,%s,'billing',
                           '60','5','Y','Y',null,'A1',2,'2026-11-01','cc.csv',%s)""",
                (iid, ref, name, phone, email, line),
            )
        for line, (eid, anon, user, etype, traits) in enumerate(EVENTS, start=1):
            conn.execute(
                """insert into raw_web.events
                   (event_id, event_type, occurred_at, anonymous_id, user_id, session_id,
                    page_url, traits, properties, _batch_id, _business_date, _source_name,
                    _line_number)
                   values (%s,%s,'2026-11-01T09:00:00Z',%s,%s,'s1','https://x/',%s,'{}',3,
                           '2026-11-01','web.jsonl.gz',%s)""",
                (eid, etype, anon, user, json.dumps(traits) if traits else None, line),
            )


def insert_members(conn, members, business_date: str) -> None:
    for line, m in enumerate(members, start=2):
        conn.execute(
            """insert into raw_store.loyalty_members
               (card_number, first_name, last_name, email, phone, postal_code, house_number,
                birth_date, marketing_opt_in, enrolled_at, updated_at, _batch_id,
                _business_date, _source_name, _line_number)
               values (%s,%s,%s,%s,%s,%s,%s,%s,%s,'2026-10-01 10:00:00',%s,4,%s,
                       'loyalty_members.csv',%s)""",
            (*m, f"{business_date} 10:00:00", business_date, line),
        )


def xref(dsn: str) -> dict[tuple[str, str], str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select source_system, source_key, customer_id from marts.customer_xref"
        ).fetchall()
    return {(s, k): c for s, k, c in rows}


@pytest.fixture(scope="module")
def built(pg, tmp_path_factory):
    name = "dbt_identity"
    pg.create_database(name)
    dsn = pg.dsn(name)
    bootstrap(dsn)
    insert_night_1(dsn)
    home = tmp_path_factory.mktemp("home")
    env = dbt_env(dsn, home)
    dbt_build(env, NIGHT_1)  # models, snapshot, data tests and unit tests
    night_1 = xref(dsn)
    # the same night again, then night 2: models and snapshot only, to keep the test short
    dbt_build(env, NIGHT_1, *MODELS_ONLY)
    night_1_again = xref(dsn)
    with psycopg.connect(dsn) as conn:
        add_date_partitions(conn, NIGHT_2)
        insert_members(conn, [BRIDGE], NIGHT_2)
    dbt_build(env, NIGHT_2, *MODELS_ONLY)
    night_2 = xref(dsn)
    incremental = resolution_state(dsn)
    identity_models = "int_identity__blocking_keys+,path:models/intermediate/identity"
    with psycopg.connect(dsn) as conn:  # the persisted map lost; its published copy remains
        conn.execute("drop table intermediate.int_identity__map cascade")
    dbt_build(env, NIGHT_2, "--full-refresh", "--select", identity_models, *MODELS_ONLY)
    yield {"dsn": dsn, "night_1": night_1, "night_1_again": night_1_again, "night_2": night_2,
           "incremental": incremental, "rebuilt": resolution_state(dsn), "maps": identity_maps(dsn)}
    pg.drop_database(name)


def resolution_state(dsn: str) -> dict[str, set[tuple]]:
    """What the incremental resolution models hold, without their bookkeeping columns."""
    queries = {
        "candidate_pairs": "select record_a, record_b, blocks "
                           "from intermediate.int_identity__candidate_pairs",
        "components": "select record_id, strong_component, full_component, is_linked "
                      "from intermediate.int_identity__components",
        "clusters": "select record_id, cluster_id, resolution from intermediate.int_identity__clusters",
    }
    with psycopg.connect(dsn) as conn:
        return {name: set(conn.execute(query).fetchall()) for name, query in queries.items()}


def identity_maps(dsn: str) -> dict[str, set[tuple]]:
    """The persisted identity map and its published copy, without the time each row was written."""
    columns = "record_id, customer_id, previous_customer_id, change_type, run_seq, business_date"
    with psycopg.connect(dsn) as conn:
        return {relation: set(conn.execute(f"select {columns} from {relation}").fetchall())
                for relation in ("intermediate.int_identity__map", "marts.customer_identity_map")}


def same(ids: dict, a: tuple[str, str], b: tuple[str, str]) -> bool:
    return ids[a] == ids[b]


F = "finance"
S = "store"
W = "web"
CC = "contact_center"


def test_every_identity_bearing_record_once(built):
    ids = built["night_1"]
    expected = (
        {(F, a[0]) for a in ACCOUNTS}
        | {(S, m[0]) for m in MEMBERS}
        | {(CC, i[0]) for i in INTERACTIONS}
        | {(W, e[1]) for e in EVENTS if e[1] != "cookie-anon"}
    )
    assert set(ids) == expected
    with psycopg.connect(built["dsn"]) as conn:
        dupes = conn.execute(
            "select count(*) from (select source_system, source_key from marts.customer_xref "
            "group by 1, 2 having count(*) > 1) d"
        ).fetchone()[0]
    assert dupes == 0


def test_household_members_stay_apart(built):
    ids = built["night_1"]
    assert not same(ids, (F, "FA0000001"), (F, "FA0000002"))
    # the member card of Jan, with the family phone and e-mail, goes to Jan only
    assert same(ids, (F, "FA0000001"), (S, "2000000000001"))
    # the family e-mail alone or the landline alone places nobody
    for record in [(W, "cookie-fam"), (CC, "CC-4")]:
        assert ids[record] not in {ids[(F, "FA0000001")], ids[(F, "FA0000002")]}
    # the landline with a full name does
    assert same(ids, (F, "FA0000002"), (CC, "CC-5"))


def test_common_name_in_one_city_stays_apart(built):
    ids = built["night_1"]
    assert not same(ids, (F, "FA0000003"), (F, "FA0000004"))
    assert ids[(CC, "CC-6")] not in {ids[(F, "FA0000003")], ids[(F, "FA0000004")]}


def test_typed_account_and_card_references(built):
    ids = built["night_1"]
    assert same(ids, (F, "FA0000003"), (CC, "CC-1"))
    assert same(ids, (F, "FA0000004"), (CC, "CC-2"))
    assert same(ids, (S, "2000000000006"), (CC, "CC-3"))
    # someone else calling about Johannes Smit's account is not Johannes
    assert not same(ids, (F, "FA0000010"), (CC, "CC-9"))


def test_fuzzy_matches(built):
    ids = built["night_1"]
    assert same(ids, (F, "FA0000005"), (S, "2000000000002"))  # De Smet / Desmet, 0470 / +32 470
    # swapped names and the same postal code: a full name with a postal code is no
    # proof of one person (namesakes live there too), so it stays apart
    assert not same(ids, (F, "FA0000006"), (W, "cookie-kees"))
    assert same(ids, (F, "FA0000006"), (W, "cookie-kees-mail"))  # gmial.com corrected
    assert same(ids, (F, "FA0000007"), (S, "2000000000004"))  # J. / Johan with birth date
    assert same(ids, (F, "FA0000008"), (S, "2000000000005"))  # Zoë Müller / Zoe Muller
    assert same(ids, (F, "FA0000009"), (S, "2000000000006"))  # Hendriks / Hendricks
    assert same(ids, (F, "FA0000010"), (CC, "CC-7"))  # Jan / Johannes on his e-mail
    assert not same(ids, (F, "FA0000010"), (CC, "CC-8"))  # Karel on that e-mail is not
    assert same(ids, (F, "FA0000008"), (CC, "CC-10"))  # a name that points to one customer
    # a caller's own mobile that no other record holds: placed by a name only one customer has
    assert same(ids, (F, "FA0000009"), (CC, "CC-11"))
    assert ids[(CC, "CC-12")] not in {ids[(F, "FA0000003")], ids[(F, "FA0000004")]}


def test_names_spelled_by_an_e_mail(built):
    ids = built["night_1"]
    assert same(ids, (F, "FA0000008"), (W, "cookie-zoe"))
    assert ids[(W, "cookie-piet")] not in {ids[(F, "FA0000003")], ids[(F, "FA0000004")]}
    # Thomas Hendriks' own address is t.hendriks@example.nl: this one is a namesake's
    assert not same(ids, (F, "FA0000009"), (W, "cookie-thomas"))


def test_same_full_name_without_an_anchor(built):
    """Two callers nobody else knows, by a mobile and by an e-mail, one full name."""
    ids = built["night_1"]
    assert same(ids, (CC, "CC-13"), (CC, "CC-14"))


def test_web_login_ties_cookies(built):
    ids = built["night_1"]
    assert same(ids, (W, "cookie-th-1"), (W, "cookie-th-2"))
    assert same(ids, (W, "cookie-th-1"), (F, "FA0000009"))


def test_ids_stable_when_a_night_is_rerun(built):
    assert built["night_1_again"] == built["night_1"]


def test_bridge_merges_and_older_id_survives(built):
    before, after = built["night_1"], built["night_2"]
    eva_finance, eva_web = before[(F, "FA0000011")], before[(W, "cookie-eva")]
    assert eva_finance != eva_web
    survivor = after[(F, "FA0000011")]
    assert survivor in {eva_finance, eva_web}
    assert after[(W, "cookie-eva")] == survivor == after[(S, BRIDGE[0])]
    merged = ({eva_finance, eva_web} - {survivor}).pop()
    with psycopg.connect(built["dsn"]) as conn:
        rows = conn.execute(
            "select merged_customer_id, into_customer_id, surviving_customer_id, "
            "merged_business_date::text from marts.customer_merges"
        ).fetchall()
    assert rows == [(merged, survivor, survivor, NIGHT_2)]
    # everyone else keeps the id night 1 gave them
    for record, customer in before.items():
        if customer != merged:
            assert after[record] == customer, record


def test_an_incremental_night_resolves_as_a_full_rebuild(built):
    """Night 2 paired and closed only what the bridging card touched; from scratch, the same."""
    incremental, rebuilt = built["incremental"], built["rebuilt"]
    assert incremental["candidate_pairs"] and incremental["components"]
    assert incremental == rebuilt


def test_a_lost_identity_map_starts_again_from_its_published_copy(built):
    maps = built["maps"]
    assert any(row[3] == "merged" for row in maps["marts.customer_identity_map"])
    assert maps["intermediate.int_identity__map"] == maps["marts.customer_identity_map"]


def test_golden_record_survivorship_and_history(built):
    with psycopg.connect(built["dsn"]) as conn:
        conn.row_factory = psycopg.rows.dict_row
        ann = conn.execute(
            "select d.* from marts.dim_customer d join marts.customer_xref x using (customer_id) "
            "where x.source_key = 'FA0000007'"
        ).fetchone()
        versions = conn.execute(
            "select count(*) as n from snapshots.dim_customer_history h "
            "join marts.customer_xref x using (customer_id) where x.source_key = 'FA0000011'"
        ).fetchone()
    # a full given name beats billing's initial; the rest follows the trust order
    assert (ann["given_name"], ann["name_source"]) == ("Johan", "store")
    assert (ann["surname_prefix"], ann["surname"]) == ("de", "Vries")
    assert (ann["date_of_birth_source"], ann["address_source"]) == ("finance", "finance")
    assert ann["marketing_consent"] is True
    assert ann["marketing_consent_source"] == "store"
    # Eva's golden record changed on night 2 (an e-mail, a card): a second version
    assert versions["n"] >= 2

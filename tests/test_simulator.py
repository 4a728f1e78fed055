"""The simulator's output read back with the contract's dialects (docs/contracts.md):
columns, types and enums; the truth; hard negatives, duplicates and faults at their rates."""

from __future__ import annotations

import csv
import gzip
import re
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import phonenumbers
import psycopg
import pytest

from c360.ingest.contracts import billing_keys_sql, billing_tables_sql, dataset
from c360.local.simulator.config import PRODUCT_LINES, SimulationConfig
from c360.local.simulator.contact_center import COLUMNS as CC_COLUMNS
from c360.local.simulator.population import NO_DAY
from c360.local.simulator.runner import FILE_SILOS, Request, Target, simulate
from c360.local.simulator.state import StateStore
from c360.local.simulator.store import MEMBER_COLUMNS, POS_COLUMNS

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = date(2026, 11, 20)  # a Friday: the window holds Sundays and a month end
DAYS = 18
PEOPLE = 3000
# Enough wrong-but-parseable rows and quirky fields to count in a small simulation.
CONFIG = SimulationConfig(fault_rate=0.02, quirky_field_rate=0.05)
INTERACTIONS = dataset("contact_center", "interactions")
EVENTS = dataset("web", "events")
CONTRACT_EVENT_TYPES = set(EVENTS.values("event_type"))
EVENT_PROPERTIES = {kind: set(notes["properties"])
                    for kind, notes in EVENTS.column("event_type").value_notes.items()}


def within(count: float, expected: float, sigmas: float = 4.0) -> bool:
    """A count agrees with a rate: within a few standard deviations of a Poisson count."""
    return abs(count - expected) <= sigmas * max(expected, 1.0) ** 0.5 + 1


def dates() -> list[date]:
    return [START + timedelta(days=i) for i in range(DAYS)]


@pytest.fixture(scope="module")
def sim(pg, tmp_path_factory):
    """One simulation of 3,000 persons over 18 days, read back by the tests below."""
    root = tmp_path_factory.mktemp("sim")
    pg.create_database("sim_module")
    target = Target(root / "landing", root / "truth", root / "simulation", pg.dsn("sim_module"))
    simulate(Request(days=DAYS, people=PEOPLE, start=START, seed=42, config=CONFIG), target)
    _, population, _ = StateStore(target.state_dir).load()
    yield target, population
    pg.drop_database("sim_module")


def read_delimited(path: Path, delimiter: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f, delimiter=delimiter, quotechar='"')
        rows = list(reader)
        assert all(None not in row and None not in row.values() for row in rows), path
        return rows


def web_lines(folder: Path) -> list[dict]:
    lines = []
    for path in sorted(folder.glob("events-*.jsonl.gz")):
        lines += [orjson.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    return lines


def truth(target: Target) -> list[dict[str, str]]:
    return read_delimited(target.truth_dir / "identities.csv", ",")


def billing(target: Target, query: str) -> list[tuple]:
    with psycopg.connect(target.finance_dsn) as conn:
        return conn.execute(query).fetchall()


# --- the files, read with the contract's dialects -------------------------------------------


def test_every_folder_of_every_day_is_complete(sim):
    target, _ = sim
    for silo in FILE_SILOS:
        for day in dates():
            marker = target.landing_dir / silo / day.isoformat() / "_SUCCESS"
            assert marker.is_file() and marker.stat().st_size == 0, marker
    # Nothing is written beyond the simulated days.
    assert sorted(p.name for p in (target.landing_dir / "web").iterdir())[-1] == dates()[-1].isoformat()


def test_contact_center_exports_follow_their_dialect_and_enums(sim):
    target, _ = sim
    boms, quirky, rows_seen = set(), 0, 0
    for day in dates():
        path = target.landing_dir / "contact_center" / day.isoformat() / "interactions.csv"
        raw = path.read_bytes()
        boms.add(raw.startswith(b"\xef\xbb\xbf"))
        assert raw.endswith(b"\r\n")
        header = raw.decode("utf-8-sig").split("\r\n")[0]
        assert header.split(";") == CC_COLUMNS
        for row in read_delimited(path, ";"):
            rows_seen += 1
            assert re.fullmatch(rf"CC-{day:%Y%m%d}-\d{{6}}", row["interaction_id"])
            assert datetime.strptime(row["started_at"], "%d-%m-%Y %H:%M:%S").date() == day
            for column in ("channel", "direction", "reason"):
                assert row[column] in INTERACTIONS.values(column)
            int(row["handle_seconds"])
            assert int(row["wait_seconds"]) >= 0
            assert row["resolved"] in {"Y", "N"} and row["first_contact_resolution"] in {"Y", "N"}
            assert not (row["first_contact_resolution"] == "Y" and row["resolved"] == "N")
            assert row["csat"] in {"", "1", "2", "3", "4", "5"}
            assert re.fullmatch(r"AG\d{3}", row["agent_id"])
            quirky += any(c in row["caller_name"] for c in ';"\n')
    assert boms == {True, False}  # some days lead with a byte-order mark, some do not
    assert rows_seen > 200 and quirky > 0


def test_web_events_follow_the_contract(sim):
    target, _ = sim
    seen_types: Counter = Counter()
    for day in dates():
        folder = target.landing_dir / "web" / day.isoformat()
        names = [p.name for p in folder.iterdir() if p.name != "_SUCCESS"]
        assert names and all(re.fullmatch(r"events-([01]\d|2[0-3])\.jsonl\.gz", n) for n in names)
        for event in web_lines(folder):
            assert set(event) - {"traits"} == {"event_id", "event_type", "occurred_at",
                                               "anonymous_id", "user_id", "session_id",
                                               "page_url", "referrer", "utm", "properties"}
            uuid.UUID(event["event_id"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["occurred_at"])
            assert event["user_id"] is None or re.fullmatch(r"WU\d+", event["user_id"])
            assert event["page_url"].startswith("https://")
            assert event["utm"] is None or set(event["utm"]) == {"source", "medium", "campaign"}
            if "traits" in event:
                assert event["traits"] and set(event["traits"]) <= {
                    "email", "first_name", "last_name", "phone", "postal_code"}
            kind = event["event_type"]
            seen_types[kind] += 1
            if kind in EVENT_PROPERTIES:
                assert set(event["properties"]) == EVENT_PROPERTIES[kind], event
    assert set(seen_types) >= CONTRACT_EVENT_TYPES
    assert set(seen_types) - CONTRACT_EVENT_TYPES  # an unknown type, which loaders must keep


def test_web_accounts_carry_their_owners_email(sim):
    """Logging in means typing the account's e-mail; a new account is made with it."""
    target, population = sim
    owner_email = dict(zip(population.persons["user_id"], population.persons["email"], strict=True))
    signed_in = 0
    for day in dates():
        for event in web_lines(target.landing_dir / "web" / day.isoformat()):
            if event["event_type"] in ("login", "account_created"):
                assert event["user_id"] and event["traits"]["email"] == owner_email[event["user_id"]]
                signed_in += 1
    assert signed_in > 20


def test_web_delivery_is_late_and_at_least_once_at_the_configured_rates(sim):
    target, _ = sim
    total = late = duplicates = 0
    for day in dates():
        events = web_lines(target.landing_dir / "web" / day.isoformat())
        ids = Counter(e["event_id"] for e in events)
        duplicates += sum(n - 1 for n in ids.values())
        for event in events:
            moment = datetime.fromisoformat(event["occurred_at"]).astimezone(AMSTERDAM)
            assert moment.date() <= day
            late += moment.date() < day
        total += len(events)
    assert total > 5_000
    assert within(late, total * CONFIG.late_event_rate)
    assert within(duplicates, total * CONFIG.duplicate_event_rate)


def test_store_files_follow_the_contract_and_stores_close_on_sundays(sim):
    target, _ = sim
    stores = {s.code: s for s in CONFIG.stores}
    returns = 0
    for day in dates():
        folder = target.landing_dir / "store" / day.isoformat()
        traded = {p.name[4:-4] for p in folder.glob("pos_*.csv")}
        expected = {c for c, s in stores.items() if s.open_on_sunday or day.weekday() != 6}
        assert traded == expected, day
        for code in traded:
            raw = (folder / f"pos_{code}.csv").read_bytes()
            assert b"\r" not in raw and not raw.startswith(b"\xef\xbb\xbf")
            rows = read_delimited(folder / f"pos_{code}.csv", ",")
            assert raw.decode().split("\n")[0].split(",") == POS_COLUMNS
            lines_per_receipt = defaultdict(list)
            for row in rows:
                assert row["store_code"] == code
                sold = datetime.strptime(row["sold_at"], "%Y-%m-%d %H:%M:%S")
                assert sold.date() == day and 8 <= sold.hour <= 21
                assert row["product_line"] in PRODUCT_LINES
                returns += int(row["quantity"]) < 0
                assert re.fullmatch(r"\d+\.\d\d", row["unit_price"])
                assert re.fullmatch(r"\d+\.\d\d", row["discount"])
                assert re.fullmatch(r"(\d{13})?", row["loyalty_card"])
                assert row["payment_method"] in dataset("store", "pos_lines").values("payment_method")
                lines_per_receipt[row["receipt_id"]].append(int(row["line_no"]))
            assert all(sorted(n) == list(range(1, len(n) + 1)) for n in lines_per_receipt.values())
    assert returns > 0


def test_loyalty_member_deltas_follow_the_contract(sim):
    target, _ = sim
    for i, day in enumerate(dates()):
        path = target.landing_dir / "store" / day.isoformat() / "loyalty_members.csv"
        assert path.read_text().split("\n")[0].split(",") == MEMBER_COLUMNS
        for row in read_delimited(path, ","):
            assert re.fullmatch(r"\d{13}", row["card_number"])
            assert re.fullmatch(r"(\d{4}-\d\d-\d\d)?", row["birth_date"])
            assert row["marketing_opt_in"] in {"Y", "N"}
            enrolled = datetime.strptime(row["enrolled_at"], "%Y-%m-%d %H:%M:%S")
            updated = datetime.strptime(row["updated_at"], "%Y-%m-%d %H:%M:%S")
            assert enrolled <= updated
            # After the first delivery, a delta holds only that day's enrolments and changes.
            assert updated.date() == day if i else updated.date() <= day


def test_privacy_requests_follow_the_contract(sim):
    target, _ = sim
    requests = []
    for day in dates():
        for row in read_delimited(target.landing_dir / "privacy" / day.isoformat() / "requests.csv",
                                  ","):
            received = datetime.fromisoformat(row["received_at"])
            assert received.tzinfo is not None and received.date() == day
            assert row["request_type"] in dataset("privacy", "requests").values("request_type")
            assert any(row[k] for k in ("email", "phone", "account_id", "card_number"))
            requests.append(row)
    assert within(len(requests), CONFIG.privacy_request_rate * PEOPLE * DAYS)
    assert {r["request_type"] for r in requests} == set(dataset("privacy", "requests").values("request_type"))


def test_typed_phone_numbers_parse_for_nl_or_be(sim):
    target, _ = sim
    phones = [r[0] for r in billing(target, "select phone from billing.accounts")]
    for day in dates()[:5]:
        folder = target.landing_dir / "contact_center" / day.isoformat()
        phones += [r["caller_phone"] for r in read_delimited(folder / "interactions.csv", ";")]
    phones = [p for p in phones if p]
    assert len({re.sub(r"\d", "9", p) for p in phones}) > 5  # many ways of writing them
    for phone in phones:  # an agent cannot tell a Belgian 03… from a Dutch one: either will do
        assert any(phonenumbers.is_valid_number(phonenumbers.parse(phone, region))
                   for region in ("NL", "BE")), phone


# --- finance --------------------------------------------------------------------------------


def schema_of(dsn: str) -> tuple[list[tuple], list[tuple]]:
    with psycopg.connect(dsn) as conn:
        columns = conn.execute("""
            select table_name, column_name, ordinal_position, data_type, character_maximum_length,
                   numeric_precision, numeric_scale, is_nullable, column_default
            from information_schema.columns where table_schema = 'billing'
            order by table_name, ordinal_position""").fetchall()
        constraints = conn.execute("""
            select conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            from pg_constraint where connamespace = 'billing'::regnamespace
            order by 1, 2""").fetchall()
    return columns, constraints


def test_billing_schema_is_the_contract(sim, new_database):
    target, _ = sim
    contract = new_database("contract")
    with psycopg.connect(contract) as conn:
        conn.execute(billing_tables_sql() + billing_keys_sql())
    columns, constraints = schema_of(target.finance_dsn)
    assert (columns, constraints) == schema_of(contract)
    assert len(columns) == 30 and len(constraints) == 7


def test_billing_rows_hold_what_the_contract_allows(sim):
    target, _ = sim
    accounts = billing(target, "select account_id, country_code, status, created_at, updated_at "
                               "from billing.accounts")
    assert all(re.fullmatch(r"FA\d{7}", a[0]) and a[1] in ("NL", "BE") for a in accounts)
    assert all(a[3] <= a[4] for a in accounts)
    assert {a[2] for a in accounts} == set(dataset("finance", "accounts").values("status"))
    statuses = {r[0] for r in billing(target, "select distinct status from billing.invoices")}
    assert statuses == set(dataset("finance", "invoices").values("status"))
    assert billing(target, "select count(*) from billing.invoices where status = 'credited' "
                           "and amount_excl_vat >= 0") == [(0,)]
    unpaid_paid = billing(target, """select count(*) from billing.invoices i where status = 'paid'
        and not exists (select from billing.payments p where p.invoice_id = i.invoice_id)""")
    assert unpaid_paid == [(0,)]
    methods = {r[0] for r in billing(target, "select distinct method from billing.payments")}
    assert methods == set(dataset("finance", "payments").values("method"))
    end = datetime.combine(dates()[-1] + timedelta(days=1), datetime.min.time(), AMSTERDAM)
    newest = billing(target, "select max(updated_at) from billing.invoices")[0][0]
    assert newest < end


# --- the truth ------------------------------------------------------------------------------


def test_truth_covers_every_identity_bearing_record_exactly_once(sim):
    target, population = sim
    rows = truth(target)
    keys = Counter((r["source_system"], r["source_key"]) for r in rows)
    assert max(keys.values()) == 1
    persons = set(population.persons["person_id"])
    assert all(r["person_id"] in persons for r in rows)
    by_system = defaultdict(set)
    for system, key in keys:
        by_system[system].add(key)

    accounts = {r[0] for r in billing(target, "select account_id from billing.accounts")}
    cards, identified_cookies, contacts = set(), set(), set()
    for day in dates():
        store = target.landing_dir / "store" / day.isoformat() / "loyalty_members.csv"
        cards |= {r["card_number"] for r in read_delimited(store, ",")}
        for event in web_lines(target.landing_dir / "web" / day.isoformat()):
            if event.get("traits") or event["user_id"]:
                identified_cookies.add(event["anonymous_id"])
        cc = target.landing_dir / "contact_center" / day.isoformat() / "interactions.csv"
        contacts |= {r["interaction_id"] for r in read_delimited(cc, ";")
                     if any(r[k] for k in ("customer_ref", "caller_name", "caller_phone",
                                           "caller_email"))}
    assert by_system["finance"] == accounts
    assert by_system["store"] == cards
    assert by_system["web"] == identified_cookies
    assert by_system["contact_center"] == contacts


def test_truth_maps_records_to_the_persons_they_describe(sim):
    """A loyalty card's member and the account holder are the person the truth names."""
    target, population = sim
    rows = {(r["source_system"], r["source_key"]): r["person_id"] for r in truth(target)}
    person_ids = population.persons["person_id"].to_numpy()
    for card, person in population.cards[["card_number", "person"]].itertuples(index=False):
        if ("store", card) in rows:
            assert rows[("store", card)] == person_ids[person]
    for cookie, person in population.cookies.itertuples(index=False):
        if ("web", cookie) in rows:
            assert rows[("web", cookie)] == person_ids[person]


# --- hard negatives, duplicates and faults at their configured rates ----------------------------


def test_population_rates(sim):
    _, population = sim
    persons = population.persons
    in_household = persons["household"].map(persons["household"].value_counts()) > 1
    assert abs(in_household.mean() - CONFIG.household_share) < 0.03
    assert (persons["namesake_of"] >= 0).sum() == int(PEOPLE * CONFIG.namesake_rate)
    for silo, share in (("finance", CONFIG.finance_share), ("store", CONFIG.store_share),
                        ("web", CONFIG.web_share),
                        ("contact_center", CONFIG.contact_center_share)):
        assert share <= persons[f"in_{silo}"].mean() < share + 0.06
    holders = population.accounts["person"].value_counts()
    assert within((holders > 1).sum(), len(holders) * CONFIG.second_account_rate)
    members = population.cards["person"].value_counts()
    assert within((members > 1).sum(), len(members) * CONFIG.replaced_card_rate)


def test_persons_appear_in_overlapping_subsets_of_silos(sim):
    target, _ = sim
    systems = defaultdict(set)
    for row in truth(target):
        systems[row["person_id"]].add(row["source_system"])
    spread = Counter(len(s) for s in systems.values())
    assert spread[1] > 0 and spread[2] > 0 and spread[3] > 0 and spread[4] > 0


def test_duplicate_records_of_one_person_occur(sim):
    target, population = sim
    per_person = defaultdict(Counter)
    for row in truth(target):
        per_person[row["source_system"]][row["person_id"]] += 1
    two_accounts = sum(n > 1 for n in per_person["finance"].values())
    accounts_by_now = population.accounts[population.accounts["open_day"] < DAYS]
    assert two_accounts == (accounts_by_now["person"].value_counts() > 1).sum() > 0
    two_cards = sum(n > 1 for n in per_person["store"].values())
    cards_by_now = population.cards[population.cards["start_day"] < DAYS]
    assert two_cards == (cards_by_now["person"].value_counts() > 1).sum() > 0
    assert sum(n > 1 for n in per_person["web"].values()) > 0  # several browsers identified


def _digits(phone: str, region: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(phone, region),
                                      phonenumbers.PhoneNumberFormat.E164)


def test_household_members_share_phone_email_and_address_in_the_output(sim):
    target, population = sim
    owner = {r["source_key"]: r["person_id"] for r in truth(target)
             if r["source_system"] == "finance"}
    household = dict(zip(population.persons["person_id"], population.persons["household"],
                         strict=True))
    phone_users, email_users, address_users = defaultdict(set), defaultdict(set), defaultdict(set)
    for account, email, phone, postal, house, country in billing(
            target, "select account_id, email, phone, postal_code, house_number, country_code "
                    "from billing.accounts"):
        person = owner[account]
        if phone:
            phone_users[_digits(phone, country)].add(person)
        if email:
            email_users[email.strip().lower()].add(person)
        address_users[(postal.replace(" ", "").upper(), house)].add(person)
    for users in (phone_users, email_users, address_users):
        shared = [p for p in users.values() if len(p) > 1]
        assert shared, "no two persons share this kind of contact"
    # A shared phone or e-mail is a household's, never a coincidence between strangers.
    for users in (phone_users, email_users):
        for persons in users.values():
            assert len({household[p] for p in persons}) == 1, persons


def test_namesakes_live_in_the_same_city_and_reach_the_output(sim):
    target, population = sim
    persons = population.persons
    pairs = persons[persons["namesake_of"] >= 0]
    original = persons.loc[pairs["namesake_of"]]
    assert (pairs[["first_name", "last_name", "city"]].to_numpy()
            == original[["first_name", "last_name", "city"]].to_numpy()).all()
    assert (pairs["person_id"].to_numpy() != original["person_id"].to_numpy()).all()
    known = {r["person_id"] for r in truth(target)}
    both = [(a, b) for a, b in zip(pairs["person_id"], original["person_id"], strict=True)
            if a in known and b in known]
    assert both


def test_movers_are_known_at_their_new_address_by_one_silo_only(sim):
    target, population = sim
    persons = population.persons
    movers = persons[persons["move_day"] < NO_DAY]
    assert within(len(movers), PEOPLE * CONFIG.mover_rate)
    assert set(movers["move_known_by"]) == {"finance", "store"}
    told_finance = movers.index[movers["move_known_by"] == "finance"]
    told_store = movers.index[movers["move_known_by"] == "store"]
    accounts, cards = population.accounts, population.cards
    assert accounts.loc[accounts["person"].isin(told_store), "new_street"].isna().all()
    assert cards.loc[cards["person"].isin(told_finance), "new_postal_code"].isna().all()
    # In billing, holders who moved before the last simulated day live at the new address.
    moved = accounts[accounts["person"].isin(told_finance)
                     & (accounts["person"].map(persons["move_day"]) < DAYS)
                     & (accounts["open_day"] < DAYS)]
    streets = dict(billing(target, "select account_id, street from billing.accounts"))
    assert len(moved) > 0
    assert all(streets[a] == s for a, s in zip(moved["account_id"], moved["new_street"],
                                               strict=True))


def test_mess_of_hand_typed_data_occurs(sim):
    target, _ = sim
    firsts = [r[0] for r in billing(target, "select first_name from billing.accounts "
                                            "where first_name is not null")]
    initials = sum(bool(re.fullmatch(r"[A-Z]\.?", f)) for f in firsts)
    assert within(initials, len(firsts) * CONFIG.initials_rate * 1.5, sigmas=5)
    assert any(f.isupper() and len(f) > 2 for f in firsts)
    postal = [r[0] for r in billing(target, "select postal_code from billing.accounts "
                                            "where country_code = 'NL'")]
    assert any(" " in p for p in postal) and any(re.fullmatch(r"\d{4}[A-Za-z]{2}", p)
                                                 for p in postal)
    missing = billing(target, "select count(*) filter (where email is null), count(*) "
                              "from billing.accounts")[0]
    assert within(missing[0], missing[1] * CONFIG.missing_rate, sigmas=5)
    refs, names = [], []
    for day in dates():
        rows = read_delimited(target.landing_dir / "contact_center" / day.isoformat()
                              / "interactions.csv", ";")
        refs += [r["customer_ref"] for r in rows if r["customer_ref"]]
        names += [r["caller_name"] for r in rows if r["caller_name"]]
    assert {"FA", "fa", "digits", "card"} <= {
        "card" if re.fullmatch(r"\d{13}", r) else "digits" if r.isdigit() else r[:2]
        for r in refs}
    assert any(", " in n for n in names) and any(", " not in n for n in names)


def test_wrong_but_parseable_values_occur_at_the_fault_rate(sim):
    target, _ = sim
    emails = billing(target, "select count(*) filter (where email not like '%@%'), count(*) "
                             "from billing.accounts where email is not null")[0]
    assert emails[0] > 0 and within(emails[0], emails[1] * CONFIG.fault_rate)
    future = billing(target, "select count(*), (select count(*) from billing.accounts "
                             "where date_of_birth is not null) from billing.accounts "
                             "where date_of_birth > current_date")[0]
    assert future[0] > 0 and within(future[0], future[1] * CONFIG.fault_rate)
    handles = []
    for day in dates():
        handles += [int(r["handle_seconds"]) for r in read_delimited(
            target.landing_dir / "contact_center" / day.isoformat() / "interactions.csv", ";")]
    negative = int((np.array(handles) < 0).sum())
    assert negative > 0 and within(negative, len(handles) * CONFIG.fault_rate)


def test_web_research_leads_to_store_purchases(sim):
    """Appointments booked online come back as receipts with the member's card."""
    target, population = sim
    booked = defaultdict(set)
    for day in dates():
        for event in web_lines(target.landing_dir / "web" / day.isoformat()):
            if event["event_type"] == "appointment_booked":
                booked[event["properties"]["store_code"]].add(event["anonymous_id"])
    assert booked
    card_owner = dict(zip(population.cards["card_number"], population.cards["person"],
                          strict=True))
    cookie_owner = dict(zip(population.cookies["anonymous_id"], population.cookies["person"],
                            strict=True))
    visitors = {(store, cookie_owner.get(c)) for store, cookies in booked.items() for c in cookies}
    buyers = set()
    for day in dates():
        for path in (target.landing_dir / "store" / day.isoformat()).glob("pos_*.csv"):
            buyers |= {(r["store_code"], card_owner[r["loyalty_card"]])
                       for r in read_delimited(path, ",") if r["loyalty_card"]}
    assert visitors & buyers

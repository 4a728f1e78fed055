"""Data-subject requests end to end on simulated silos: erasure, restriction, access.

One warehouse for the module, two nights through the real loaders, dbt and the
privacy step, in the order the build DAG runs them (ingest, suppression pass,
dbt, privacy step):

- night 1 (2026-11-02): an erasure, a restriction, an access request and a
  request that names nobody;
- night 2 (2026-11-03): the next day's files, and with them every file of
  night 1 re-loaded, billing re-extracted from scratch and a late contact that
  carries the erased person's e-mail; the restriction is not delivered again,
  and a request names a household's e-mail.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner, Result

from c360.cli import app
from c360.config import load_settings
from c360.ingest import finance, web
from c360.ingest.contract_files import file_silo
from c360.local.simulator.runner import Request, Target, simulate
from c360.orchestration.pipeline import CONTACT_CENTER, FILE_SILOS, PRIVACY, STORE, WEB
from c360.privacy import apply_privacy_requests, enforce_suppressions
from c360.privacy.person import StaleMatch
from c360.warehouse.bootstrap import bootstrap
from tests.dbt_helpers import as_of

contact_center = file_silo("contact_center")
privacy = file_silo("privacy")
store = file_silo("store")

C360 = str(Path(sys.executable).with_name("c360"))
NIGHT_1, NIGHT_2 = date(2026, 11, 2), date(2026, 11, 3)
HEADER = "request_id,received_at,request_type,email,phone,account_id,card_number\n"
# Everything the privacy step and its checks read, and nothing of other teams' models.
DBT_SELECTION = ("--select", "+privacy_request_matches", "+dim_customer_history", "+customer_xref",
                 "+customer_merges", "+customer_identity_map")
# Where a person's data may sit: every schema the warehouse controls.
SCHEMAS_PATTERN = r"^(raw_.*|ops|staging|intermediate|marts|snapshots|published|serving)$"


def run_dbt(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([C360, "dbt", *args], env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def ingest(day: date) -> None:
    settings = load_settings()
    finance.extract_business_date(settings.finance_dsn, settings.warehouse_dsn, day)
    for silo in (contact_center, web, store, privacy):
        silo.load_business_date(settings.warehouse_dsn, settings.landing_dir, day)


def build(env: dict[str, str], *extra: str) -> None:
    run_dbt(env, "build", *DBT_SELECTION, "--exclude", "test_type:data", "test_type:unit", *extra)
    # a publication BI reads, with contact details, to see erasure reach `published`
    with psycopg.connect(env["C360_WAREHOUSE_DSN"]) as conn:
        conn.execute("drop table if exists published.customer_probe")
        conn.execute("create table published.customer_probe as "
                     "select customer_id, email, is_restricted from marts.dim_customer")


def query(dsn: str, text: str, *params) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(text, params).fetchall()


def holders(dsn: str, values: list[str], together: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    """(relation, value) for every table or view in the warehouse's schemas whose rows hold a value,
    or both values of `together` in one row (a name beside a birth date)."""
    found = []
    with psycopg.connect(dsn) as conn:
        relations = conn.execute(
            """select n.nspname, c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
               where c.relkind in ('r', 'v', 'm', 'p') and n.nspname ~ %s""",
            (SCHEMAS_PATTERN,),
        ).fetchall()
        for schema, table in relations:
            hits = conn.execute(
                sql.SQL("select distinct v from {} as t, unnest(%s::text[]) as v "
                        "where strpos(lower(t::text), lower(v)) > 0").format(sql.Identifier(schema, table)),
                (values,),
            ).fetchall()
            found += [(f"{schema}.{table}", value) for (value,) in hits]
            if together and conn.execute(
                    sql.SQL("select exists (select 1 from {} as t "
                            "where strpos(lower(t::text), lower(%s)) > 0 "
                            "and strpos(t::text, %s) > 0)").format(sql.Identifier(schema, table)),
                    together).fetchone()[0]:
                found.append((f"{schema}.{table}", " ".join(together)))
    return sorted(found)


def person_details(finance_dsn: str, account_id: str) -> dict[str, str]:
    """The erased person's phone, name and birth date as billing holds them."""
    [(phone, country, last_name, birth_date)] = query(
        finance_dsn, "select phone, country_code, last_name, date_of_birth::text from billing.accounts "
                     "where account_id = %s", account_id)
    return {"phone": phone, "country": country, "last_name": last_name, "birth_date": birth_date}


def files_holding(folders: list[Path], values: list[str], name: str, birth_date: str) -> list[str]:
    """Every file line under `folders` (gzip read through) that holds one of `values`, or the
    person's name beside their birth date."""
    found = []
    for folder in folders:
        for path in (p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            for number, line in enumerate(data.decode("utf-8", "replace").lower().splitlines(), 1):
                hits = [v for v in values if v.lower() in line]
                if name.lower() in line and birth_date in line:
                    hits.append(f"{name} {birth_date}")
                found += [f"{path.relative_to(folder.parent)}:{number}: {hit}" for hit in hits]
    return found


def write_requests(landing: Path, day: date, lines: list[str]) -> None:
    (landing / "privacy" / day.isoformat() / "requests.csv").write_text(HEADER + "".join(lines))


def truth(root: Path) -> dict[str, dict[str, list[str]]]:
    """person_id -> source_system -> source keys, from the simulator's truth."""
    persons: dict[str, dict[str, list[str]]] = {}
    with open(root / "truth" / "identities.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            persons.setdefault(row["person_id"], {}).setdefault(row["source_system"], []).append(
                row["source_key"])
    return persons


def signed_in_emails(landing: Path, day: date) -> dict[str, set[str]]:
    """anonymous_id -> the e-mails its events of `day` carry: the visitors identity can link."""
    found: dict[str, set[str]] = {}
    for path in sorted((landing / WEB / day.isoformat()).glob("events-*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                event = json.loads(line)
                email = (event.get("traits") or {}).get("email")
                if email:
                    found.setdefault(event["anonymous_id"], set()).add(email.strip().lower())
    return found


def pick_persons(root: Path, finance_dsn: str) -> tuple[dict[str, list[str]], dict, dict, str]:
    """Three persons known to finance and the stores, to erase, to restrict and to export; the
    first with an e-mail of their own (night 2's late contact carries it), under which they also
    signed in on the web on night 1, so that the erasure has web events to reach."""
    emails = dict(query(finance_dsn, """
        select account_id, email from billing.accounts where email in (
            select email from billing.accounts where email not like 'fam%%'
            group by email having count(*) = 1)"""))
    visitors = signed_in_emails(root / "landing", NIGHT_1)
    known = [p for _, p in sorted(truth(root).items()) if {"finance", "store"} <= set(p)]
    erased = next(p for p in known if p["finance"][0] in emails and any(
        emails[p["finance"][0]].lower() in visitors.get(cookie, ()) for cookie in p.get("web", ())))
    others = [p for p in known if p is not erased]
    return erased, others[0], others[1], emails[erased["finance"][0]]


def append_contacts(landing: Path, day: date, lines: list[str]) -> None:
    path = landing / "contact_center" / day.isoformat() / "interactions.csv"
    with open(path, "a", encoding="utf-8", newline="") as f:
        f.write("".join(line + "\r\n" for line in lines))


def customer_of(dsn: str, system: str, key: str) -> str:
    return query(dsn, "select customer_id from marts.customer_xref where source_system = %s "
                      "and source_key = %s", system, key)[0][0]


PERSONAL_EMAIL_SQL = """
select k.key_value, min(x.customer_id)
from intermediate.int_identity__record_keys as k
join marts.customer_xref as x on x.source_system || ':' || x.source_key = k.record_id
where k.key_type = 'email'
    and not exists (select 1 from intermediate.int_identity__shared_keys as s
                    where s.key_type = 'email' and s.key_value = k.key_value)
group by k.key_value
having count(distinct x.customer_id) = 1
order by k.key_value
limit 1
"""

HOUSEHOLD_SQL = """
select s.key_value, count(distinct x.customer_id)
from intermediate.int_identity__shared_keys as s
join intermediate.int_identity__record_keys as k using (key_type, key_value)
join marts.customer_xref as x on x.source_system || ':' || x.source_key = k.record_id
where s.key_type = 'email'
group by s.key_value
having count(distinct x.customer_id) >= 2
order by s.key_value
limit 1
"""


OWN_EMAILS_SQL = """
select distinct k.key_value
from intermediate.int_identity__record_keys as k
join marts.customer_xref as x on x.source_system || ':' || x.source_key = k.record_id
where x.customer_id = %s and k.key_type = 'email'
    and not exists (select 1 from intermediate.int_identity__record_keys as o
                    join marts.customer_xref as y on y.source_system || ':' || y.source_key = o.record_id
                    where o.key_type = 'email' and o.key_value = k.key_value
                        and y.customer_id <> x.customer_id)
"""


def own_values(dsn: str, customer_id: str) -> list[str]:
    """The person's own identifiers: account ids, cards, cookies and the e-mails no one else uses."""
    records = query(dsn, "select source_system, source_key from marts.customer_xref where customer_id = %s",
                    customer_id)
    values = [key for system, key in records if system in ("finance", "store", "web")]
    values += [email for (email,) in query(dsn, OWN_EMAILS_SQL, customer_id)]
    return sorted(set(values))


def night(env: dict[str, str], day: date, facts: dict, name: str) -> None:
    """Ingest has run: the suppression pass, dbt, then the privacy step, with what a test needs between."""
    settings, dsn = facts["settings"], facts["dsn"]
    facts[f"back_in_raw_{name}"] = holders(dsn, facts.get("erased_values", []))
    facts[f"suppressed_{name}"] = enforce_suppressions(settings, day)
    facts[f"suppressed_again_{name}"] = enforce_suppressions(settings, day)
    build(env, *as_of(day))
    if "erased" not in facts:
        facts["erased"] = customer_of(dsn, "finance", facts["erased_account"])
        details = facts["erased_details"]
        phones = [details["phone"], *[p for (p,) in query(dsn, "select ops.c360_normalize_phone(%s, %s)",
                                                           details["phone"], details["country"])]]
        facts["erased_values"] = own_values(dsn, facts["erased"]) + [p for p in phones if p]
    facts[f"xref_before_{name}"] = dict(((s, k), c) for c, s, k in query(
        dsn, "select customer_id, source_system, source_key from marts.customer_xref"))
    facts[name] = apply_privacy_requests(settings, day)
    facts[f"xref_after_{name}"] = dict(((s, k), c) for c, s, k in query(
        dsn, "select customer_id, source_system, source_key from marts.customer_xref"))
    details = facts["erased_details"]
    facts[f"holders_after_{name}"] = holders(dsn, facts["erased_values"],
                                             (details["last_name"], details["birth_date"]))
    # the sources' deliveries of later dates are not c360's yet: they are searched on their own night
    not_yet = tuple(f"landing/{silo}/{d.isoformat()}/" for silo in FILE_SILOS for d in (NIGHT_2,) if d > day)
    facts[f"files_after_{name}"] = [
        hit for hit in files_holding(facts["folders"], facts["erased_values"], details["last_name"],
                                     details["birth_date"]) if not hit.startswith(not_yet)]
    facts[f"log_after_{name}"] = query(dsn, "select count(*) from ops.privacy_erasure_log")[0][0]
    facts[f"again_{name}"] = apply_privacy_requests(settings, day)  # a retry changes nothing
    facts[f"log_after_retry_{name}"] = query(dsn, "select count(*) from ops.privacy_erasure_log")[0][0]
    facts[f"alerts_{name}"] = query(dsn, "select rule, owner, rows_affected, message from ops.alerts "
                                         "where source_system = 'privacy' order by alert_id")


@pytest.fixture(scope="module")
def nights(pg, tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    root.chmod(0o755)
    pg.create_database("privacy_warehouse")
    pg.create_database("privacy_finance")
    dsn, finance_dsn = pg.dsn("privacy_warehouse"), pg.dsn("privacy_finance")
    landing = root / "landing"
    env = {
        **os.environ,
        "C360_WAREHOUSE_DSN": dsn, "C360_FINANCE_DSN": finance_dsn, "C360_HOME": str(root / "home"),
        "C360_LANDING_DIR": str(landing), "C360_PRIVACY_KEY": "privacy-test-key-0123456789",
        "DBT_TARGET_PATH": str(root / "dbt-target"), "DBT_LOG_PATH": str(root / "dbt-logs"),
    }
    patch = pytest.MonkeyPatch()
    for name in ("C360_WAREHOUSE_DSN", "C360_FINANCE_DSN", "C360_HOME", "C360_LANDING_DIR",
                 "C360_PRIVACY_KEY"):
        patch.setenv(name, env[name])
    simulate(Request(days=2, people=300, start=NIGHT_1, seed=360),
             Target(landing, root / "truth", root / "simulation", finance_dsn))
    bootstrap(dsn)
    # where c360 writes: the landing zone, its home, dbt's target and logs (the simulator's own
    # world, truth and simulation, stands for the sources and is not searched)
    folders = [landing, root / "home", root / "dbt-target", root / "dbt-logs"]
    facts: dict = {"dsn": dsn, "env": env, "settings": load_settings(), "folders": folders,
                   "landing": landing}

    # night 1: requests by account and card, as the requesters type them
    erased, restricted, accessed, erased_email = pick_persons(root, finance_dsn)
    facts.update(erased_account=erased["finance"][0], restricted_card=restricted["store"][0],
                 accessed_account=accessed["finance"][0],
                 erased_details=person_details(finance_dsn, erased["finance"][0]))
    write_requests(landing, NIGHT_1, [
        f"PR-E,2026-11-02T09:00:00+01:00,erasure,,,{erased['finance'][0].lower()},{erased['store'][0]}\n",
        f"PR-E2,2026-11-02T09:01:00+01:00,erasure,,,,{erased['store'][0]}\n",  # the same person again
        f"PR-R,2026-11-02T09:05:00+01:00,restrict,,,,{restricted['store'][0]}\n",
        f"PR-A,2026-11-02T09:10:00+01:00,access,,,{accessed['finance'][0]},\n",
        "PR-U,2026-11-02T09:15:00+01:00,erasure,nobody@example.org,,,\n",
    ])
    # a contact refused for its date, whose quarantined text holds the person's e-mail
    append_contacts(landing, NIGHT_1, [
        f"CC-BAD-1;31-02-2026 10:00:00;phone;inbound;;Someone;;{erased_email};other;60;5;Y;Y;;AG001"])
    # the sources keep what they delivered, and deliver it again on night 2
    delivered = root / "delivered"
    for silo in (CONTACT_CENTER, WEB, STORE, PRIVACY):
        shutil.copytree(landing / silo / NIGHT_1.isoformat(), delivered / silo)
    ingest(NIGHT_1)
    night(env, NIGHT_1, facts, "night_1")
    facts["restricted"] = customer_of(dsn, "store", facts["restricted_card"])
    facts["accessed"] = customer_of(dsn, "finance", facts["accessed_account"])
    household_email, facts["household_size"] = query(dsn, HOUSEHOLD_SQL)[0]
    facts["household_email"] = household_email

    # night 2: the next day, a household request, a late contact with the erased person's e-mail,
    # and every old file re-loaded and billing re-extracted
    write_requests(landing, NIGHT_2, [f"PR-H,2026-11-03T09:00:00+01:00,erasure,{household_email},,,\n"])
    append_contacts(landing, NIGHT_2, [
        # typed as agents type: upper case, spaces around; recognised as staging would normalize it
        f"CC-LATE-1;03-11-2026 17:00:00;phone;inbound;;Someone;; {erased_email.upper()} ;other;60;5;Y;Y;;"
        "AG001",
        f"CC-BAD-2;03-11-2026 25:00:00;phone;inbound;;Someone;;{erased_email};other;60;5;Y;Y;;AG001",
    ])
    for silo in (CONTACT_CENTER, WEB, STORE, PRIVACY):
        shutil.copytree(delivered / silo, landing / silo / NIGHT_1.isoformat(), dirs_exist_ok=True)
    with psycopg.connect(dsn) as conn:
        conn.execute("delete from raw_finance.extract_watermarks")
    for silo in (contact_center, web, store, privacy):
        silo.load_business_date(dsn, landing, NIGHT_1)
    ingest(NIGHT_2)
    patch.setenv("C360_LANDING_RETENTION_DAYS", "1")  # night 1's files go on night 2
    night(env, NIGHT_2, facts, "night_2")
    facts["email_holder"] = query(dsn, PERSONAL_EMAIL_SQL)[0]
    yield facts
    patch.undo()
    pg.drop_database("privacy_warehouse")
    pg.drop_database("privacy_finance")


def matches(dsn: str) -> dict[str, tuple]:
    rows = query(dsn, "select request_id, status, customer_id, matched_on, candidate_customers, "
                      "handled_outcome from marts.privacy_request_matches")
    return {r[0]: r[1:] for r in rows}


# --- erasure -------------------------------------------------------------------------------


def test_erasure_matched_on_unambiguous_keys(nights):
    status, customer, matched_on, _, outcome = matches(nights["dsn"])["PR-E"]
    assert (status, customer, outcome) == ("matched", nights["erased"], "erased")
    assert matched_on == "account,card"


def test_erased_person_gone_from_every_schema_the_same_night(nights):
    # their account, card, cookies and e-mail sat in raw, staging, identity, marts, history and published
    assert len(nights["erased_values"]) >= 4
    assert nights["holders_after_night_1"] == []


def test_a_second_erasure_of_the_same_person_is_honoured_with_nothing_left(nights):
    status, customer, matched_on, _, outcome = matches(nights["dsn"])["PR-E2"]
    assert (status, customer, matched_on, outcome) == ("matched", nights["erased"], "card", "erased")
    logged = query(nights["dsn"], "select count(*) from ops.privacy_erasure_log where request_id = 'PR-E2'")
    assert logged == [(0,)]


@pytest.mark.parametrize("name", ["night_1", "night_2"])
def test_no_trace_left_in_any_file_c360_writes(nights, name):
    # the person's records left the landing zone's files (the privacy desk's request lines too),
    # and nothing else c360 wrote holds their identifiers, or their name beside their birth date
    assert nights[f"files_after_{name}"] == []


def test_scrubbed_files_load_again_as_they_now_are(nights):
    # the ledger knows the scrubbed content: loading the date again changes nothing
    dsn, landing = nights["dsn"], nights["landing"]
    before = query(dsn, "select source_name, rows_loaded, content_hash from ops.load_ledger "
                        "where business_date = %s order by 1", NIGHT_2)
    report = contact_center.load_business_date(dsn, landing, NIGHT_2)
    assert {f.status for f in report.files} == {"unchanged"}
    assert query(dsn, "select source_name, rows_loaded, content_hash from ops.load_ledger "
                      "where business_date = %s order by 1", NIGHT_2) == before
    # line numbers in raw still point at the same records in the scrubbed file
    path = landing / "contact_center" / NIGHT_2.isoformat() / "interactions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = query(dsn, "select interaction_id, _line_number from raw_contact_center.interactions "
                      "where _source_name = %s", f"contact_center/{NIGHT_2.isoformat()}/interactions.csv")
    assert rows and all(lines[n - 1].startswith(f"{interaction};") for interaction, n in rows if n > 0)
    # the late contact of the erased person keeps its figures in raw, and left the file
    assert ("CC-LATE-1", 0) in rows and not [line for line in lines if line.startswith("CC-LATE-1;")]


def test_delivered_files_leave_the_landing_zone_after_their_retention(nights):
    landing = nights["landing"]
    assert nights["night_2"].expired_deliveries
    for silo in (CONTACT_CENTER, WEB, STORE, PRIVACY):
        assert not (landing / silo / NIGHT_1.isoformat()).exists(), silo
        assert (landing / silo / NIGHT_2.isoformat() / "_SUCCESS").is_file(), silo


def test_erasure_touches_nobody_else(nights):
    before, after = nights["xref_before_night_1"], nights["xref_after_night_1"]
    theirs = {record for record, customer in before.items() if customer == nights["erased"]}
    assert len(theirs) >= 3
    assert set(after) == set(before) - theirs
    assert all(after[record] == before[record] for record in after)


def test_the_next_night_keeps_everyone_elses_customer_ids(nights):
    # the scrubbed identity tables (incremental ones too) resolve the others as before
    surviving = dict(query(nights["dsn"], "select merged_customer_id, surviving_customer_id "
                                          "from marts.customer_merges"))
    after_erasure, next_night = nights["xref_after_night_1"], nights["xref_before_night_2"]
    moved = {record: (customer, next_night.get(record)) for record, customer in after_erasure.items()
             if next_night.get(record) not in (customer, surviving.get(customer))}
    assert moved == {}


def test_erasure_keeps_aggregates_linked_to_no_one(nights):
    dsn = nights["dsn"]
    invoices = query(dsn, "select count(*) from raw_finance.invoices where account_id = 'erased'")
    assert invoices[0][0] >= 1  # amounts stay, linked to no one
    assert query(dsn, "select count(*) from raw_finance.invoices where account_id = %s",
                 nights["erased_account"]) == [(0,)]
    # the identity map and its published copy keep the rows that reserve the customer's id,
    # without the records' keys
    for identity_map in ("intermediate.int_identity__map", "marts.customer_identity_map"):
        kept = query(dsn, f"select record_id, source_key from {identity_map} where customer_id = %s",
                     nights["erased"])
        assert kept and all(r.startswith("erased:") and k == r for r, k in kept), identity_map
    # the person's web trail is gone, not kept under a pseudonym
    assert query(dsn, "select count(*) from raw_web.events where anonymous_id like 'erased%%'") == [(0,)]


def test_erasure_logged_per_relation_without_the_data(nights):
    log = dict(((relation, action), n) for relation, action, n in query(
        nights["dsn"], "select relation, action, row_count from ops.privacy_erasure_log "
                       "where request_id = 'PR-E'"))
    for counted in [("raw_finance.accounts", "deleted"), ("raw_store.loyalty_members", "deleted"),
                    ("raw_web.events", "deleted"), ("raw_privacy.requests", "pseudonymized"),
                    ("ops.quarantine", "redacted"),
                    ("marts.customer_xref", "deleted"), ("marts.dim_customer", "deleted"),
                    ("snapshots.dim_customer_history", "deleted"), ("published.customer_probe", "deleted"),
                    ("intermediate.int_identity__map", "pseudonymized"),
                    ("marts.customer_identity_map", "pseudonymized")]:
        assert log.get(counted, 0) >= 1, counted
    # the log, the suppression list and the alerts are in ops, which the leak check covers
    hashes = query(nights["dsn"],
                   "select identifier_hash from ops.privacy_suppressions where request_id = 'PR-E'")
    assert hashes and all(len(h) == 64 for (h,) in hashes)


@pytest.mark.parametrize("name", ["night_1", "night_2"])
def test_privacy_step_is_idempotent(nights, name):
    assert nights[f"again_{name}"].handled == {} and nights[f"again_{name}"].alerted == {}
    assert nights[f"again_{name}"].scrubbed_files == {}
    assert nights[f"log_after_retry_{name}"] == nights[f"log_after_{name}"]
    assert nights[f"suppressed_again_{name}"] == {}


def test_reload_and_late_delivery_do_not_bring_the_person_back(nights):
    # night 1's files delivered again and billing re-extracted did bring the rows back into raw ...
    came_back = {relation for relation, _ in nights["back_in_raw_night_2"]}
    assert {"raw_finance.accounts", "raw_store.loyalty_members", "raw_web.events",
            "raw_contact_center.interactions"} <= came_back
    # ... and the pass after ingest erased them again before dbt built anything from them
    suppressed = nights["suppressed_night_2"]
    assert suppressed[("raw_finance.accounts", "deleted")] >= 1
    assert suppressed[("raw_web.events", "deleted")] >= 1
    assert suppressed[("raw_contact_center.interactions", "pseudonymized")] >= 1
    assert suppressed[("ops.quarantine", "redacted")] >= 1
    assert nights["holders_after_night_2"] == []
    late = query(nights["dsn"], "select customer_ref, caller_name, caller_phone, caller_email "
                                "from raw_contact_center.interactions where interaction_id = 'CC-LATE-1'")
    assert late == [(None, None, None, None)]
    logged = query(nights["dsn"], "select count(*) from ops.privacy_erasure_log where request_id is null")
    assert logged[0][0] >= 3
    assert "erased" not in nights["night_2"].handled


# --- requests that name nobody, or several people -------------------------------------------


def test_household_email_erases_nobody(nights):
    status, customer, _, candidates, outcome = matches(nights["dsn"])["PR-H"]
    assert (status, customer, outcome) == ("ambiguous", None, None)
    assert candidates == nights["household_size"] >= 2
    holders_ = query(nights["dsn"], """
        select count(distinct x.customer_id) from intermediate.int_identity__record_keys k
        join marts.customer_xref x on x.source_system || ':' || x.source_key = k.record_id
        where k.key_type = 'email' and k.key_value = %s""", nights["household_email"])
    assert holders_ == [(nights["household_size"],)]
    assert query(nights["dsn"], "select count(*) from ops.privacy_erasure_log where request_id = 'PR-H'") == [
        (0,)]


def test_household_golden_records_keep_their_data(nights):
    flagged = query(nights["dsn"], """
        select count(*) from marts.dim_customer d where d.is_erased and exists (
            select 1 from intermediate.int_identity__record_keys k
            join marts.customer_xref x on x.source_system || ':' || x.source_key = k.record_id
            where x.customer_id = d.customer_id and k.key_type = 'email' and k.key_value = %s)""",
                    nights["household_email"])
    assert flagged == [(0,)]


def test_unmatched_and_ambiguous_reported_to_the_privacy_owner_once(nights):
    first = nights["alerts_night_1"]
    assert [rule for rule, *_ in first] == ["privacy_request_unmatched"]
    _, owner, n, message = first[0]
    assert owner == "Privacy desk" and n == 1 and "PR-U" in message
    assert "nobody@example.org" not in message  # identifiers stay out of e-mail
    # night 2: PR-U is still pending and matched again, but not alerted again; PR-H is new
    second = nights["alerts_night_2"][len(first):]
    assert [(rule, n) for rule, _, n, _ in second] == [("privacy_request_ambiguous", 1)]
    assert "PR-H" in second[0][3] and "PR-U" not in second[0][3]
    assert matches(nights["dsn"])["PR-U"][0] == "unmatched"


# --- restriction -------------------------------------------------------------------------------


def test_restriction_from_its_night_on_and_persisting_without_the_file(nights):
    assert nights["night_1"].handled["restricted"] == 1
    # night 2's file does not hold PR-R, and night 1's was re-loaded: still restricted
    flags = query(nights["dsn"], "select is_restricted, marketing_consent from marts.dim_customer "
                                 "where customer_id = %s", nights["restricted"])
    assert flags == [(True, False)]
    status, customer, matched_on, _, outcome = matches(nights["dsn"])["PR-R"]
    assert (status, customer, matched_on, outcome) == ("matched", nights["restricted"], "card", "restricted")


# --- access ------------------------------------------------------------------------------------


def test_access_export_written_the_same_night(nights):
    path = nights["settings"].home / "privacy" / "exports" / "PR-A.json"
    assert path.stat().st_mode & 0o777 == 0o600
    document = json.loads(path.read_text())
    dsn, customer = nights["dsn"], nights["accessed"]
    assert document["request_id"] == "PR-A" and document["customer_id"] == customer
    assert document["golden_record"]["customer_id"] == customer
    xref = query(dsn, "select source_system, source_key from marts.customer_xref where customer_id = %s",
                 customer)
    assert sorted((r["source_system"], r["source_key"]) for r in document["lineage"]["xref"]) == sorted(xref)
    # every golden attribute names the source record it came from, one of theirs
    attributes = document["lineage"]["attributes"]
    assert {a["attribute"] for a in attributes} >= {"name", "address"}
    assert all((a["source_system"], a["source_key"]) in xref for a in attributes)
    sources = document["sources"]
    assert {row["account_id"] for row in sources["finance"]["accounts"]} == {
        k for s, k in xref if s == "finance"}
    assert {row["card_number"] for row in sources["store"]["loyalty_members"]} == {
        k for s, k in xref if s == "store"}
    assert {row["anonymous_id"] for row in sources["web"]["events"]} >= {k for s, k in xref if s == "web"}
    assert [row["request_id"] for row in sources["privacy"]["requests"]] == ["PR-A"]
    assert document["lineage"]["identity_map"] and document["lineage"]["history"]


def export_cli(*args: str) -> Result:
    return CliRunner().invoke(app, ["privacy", "export", *args])


def test_export_by_email_from_the_cli(nights, tmp_path):
    email, customer = nights["email_holder"]
    out = tmp_path / "export.json"
    result = export_cli("--email", f" {email.upper()} ", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["customer_id"] == customer


@pytest.mark.parametrize("args, message", [
    (("--email", "nobody@example.org"), "no customer holds"),
    (("--email", "not an address"), "is not an e-mail address"),
    (("--request-id", "PR-H"), "is ambiguous"),
    (("--request-id", "PR-E"), "erased on request"),
    (("--request-id", "PR-NONE"), "no request"),
    ((), "exactly one of"),
])
def test_export_refuses_what_it_cannot_pin_to_one_person(nights, args, message):
    result = export_cli(*args)
    assert result.exit_code == 1
    assert message in " ".join(result.stderr.split())


def test_export_refuses_a_household_email(nights):
    result = export_cli("--email", nights["household_email"])
    assert result.exit_code == 1 and "shared address" in " ".join(result.stderr.split())


# --- the privacy step by hand --------------------------------------------------------------------


def test_privacy_step_from_the_cli(nights):
    runner = CliRunner()
    applied = runner.invoke(app, ["privacy", "apply", "--date", NIGHT_2.isoformat()])
    assert applied.exit_code == 0, applied.output
    assert "requests carried out: nothing" in applied.output  # all done by the nights already
    suppressed = runner.invoke(app, ["privacy", "suppress", "--date", NIGHT_2.isoformat()])
    assert suppressed.exit_code == 0 and "(0 rows changed)" in suppressed.output
    bad = runner.invoke(app, ["privacy", "apply", "--date", "3 November"])
    assert bad.exit_code == 1 and "bad business date" in bad.stderr


# --- a privacy step run on matches older than the cross-reference -----------------------------


def test_a_stale_match_stops_the_step_instead_of_erasing_nothing(nights):
    dsn = nights["dsn"]
    with psycopg.connect(dsn) as conn:
        conn.execute("insert into marts.privacy_request_matches (request_id, request_type, status, "
                     "customer_id, matched_on, candidate_customers) "
                     "values ('PR-STALE', 'erasure', 'matched', 'CGONE', 'email', 1)")
    try:
        with pytest.raises(StaleMatch, match="PR-STALE names customer CGONE.*run the dbt build"):
            apply_privacy_requests(nights["settings"], NIGHT_2)
        assert query(dsn, "select count(*) from ops.privacy_request_log where request_id = 'PR-STALE'") == [
            (0,)]
    finally:
        with psycopg.connect(dsn) as conn:
            conn.execute("delete from marts.privacy_request_matches where request_id = 'PR-STALE'")

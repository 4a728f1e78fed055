"""Identity resolution measured on FEBRL, public data that nobody here made.

Starts a throwaway embedded PostgreSQL (no fsync), maps a FEBRL set onto the
contracts (c360/local/evaluation/febrl.py: FEBRL4's originals as billing accounts and
its duplicates as one day's loyalty members, or FEBRL3 as loyalty members
only), loads it with the real finance and store loaders, builds identity with
`c360 dbt build --select +customer_xref` (no tests), and evaluates
marts.customer_xref against the FEBRL truth. It prints precision, recall, F1
and pair counts, then the missed true pairs and the false pairs by what differs
between their two records (names, birth date, postcode, house number, missing
values), with a few masked examples. It prints figures; it is not a test (that
is tests/test_identity_febrl.py). Run it with (or `make eval-febrl`):

    .venv/bin/python benchmarks/eval_febrl.py --set febrl4
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections import Counter
from itertools import combinations

import pandas as pd
import psycopg
from rich.console import Console
from rich.table import Table
from throwaway import C360, RESOLUTION, throwaway_warehouse

from c360.local.evaluation.febrl import (
    BUSINESS_DATE,
    FebrlMapping,
    load_mapping,
    map_febrl3,
    map_febrl4,
    write_mapping,
)
from c360.local.evaluation.pairs import evaluate
from c360.warehouse.bootstrap import bootstrap

# A customer this large is a runaway merge: its false pairs are counted, not listed.
LISTED_CLUSTER = 300


# --- what differs between two records ---------------------------------------------------

def edits(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps
    of two neighbouring letters, each one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _name(label: str, a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return f"{label} missing" if a is not None or b is not None else f"{label} missing (both)"
    if a == b:
        return None
    return f"{label} slip (<=2 edits)" if edits(a, b) <= 2 else f"{label} slip (>2 edits)"


def _birth_date(a: dict, b: dict) -> str | None:
    raw_a, raw_b = a["date_of_birth_raw"], b["date_of_birth_raw"]
    if raw_a is None or raw_b is None:
        return "birth date missing"
    if a["birth_date"] is None or b["birth_date"] is None:
        return "birth date invalid (NULL)"
    if raw_a == raw_b:
        return None
    if raw_a[:4] == raw_b[:4] and raw_a[4:6] == raw_b[6:8] and raw_a[6:8] == raw_b[4:6]:
        return "birth date day/month swapped"
    differing = [i for i in range(8) if raw_a[i] != raw_b[i]]
    if len(differing) == 1:
        part = "year" if differing[0] < 4 else "month" if differing[0] < 6 else "day"
        return f"birth date one digit ({part})"
    if len(differing) == 2 and differing[1] == differing[0] + 1 and \
            raw_a[differing[0]] == raw_b[differing[1]] and raw_a[differing[1]] == raw_b[differing[0]]:
        return "birth date two digits swapped"
    return "birth date other"


def _plain(label: str, a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return f"{label} missing"
    return None if a == b else f"{label} differs"


def differences(a: dict, b: dict) -> list[str]:
    """What differs between two FEBRL records, as loaded: one label per field that does."""
    found = []
    if (a["given_name"], a["surname"]) == (b["surname"], b["given_name"]) and \
            a["given_name"] != a["surname"]:
        found.append("given name and surname swapped")
    else:
        found += [_name("given name", a["given_name"], b["given_name"]),
                  _name("surname", a["surname"], b["surname"])]
    found += [_birth_date(a, b), _plain("postcode", a["postcode"], b["postcode"]),
              _plain("house number", a["street_number"], b["street_number"])]
    return [label for label in found if label] or ["no loaded field differs"]


def cause(labels: list[str]) -> str:
    """The pair's cause: which names slipped (either, or both), then what else differs."""
    slipped = [label.split(" slip ")[0] for label in labels if " slip " in label]
    head = {(): [], ("given name",): ["given name slip"], ("surname",): ["surname slip"],
            ("given name", "surname"): ["both names slip"]}[tuple(slipped)]
    return " + ".join(head + [label for label in labels if " slip " not in label])


def _mask(value: str | None, keep: int = 1) -> str:
    if value is None:
        return "∅"
    return value[:keep] + "*" * max(len(value) - keep, 0)


def masked(record: dict) -> str:
    birth = record["birth_date"]
    return (f"{record['rec_id']} {_mask(record['given_name'])} {_mask(record['surname'])} "
            f"{birth[:4] + '-**-**' if birth else _mask(record['date_of_birth_raw'], 0)} "
            f"pc {_mask(record['postcode'])} nr {_mask(record['street_number'], 0)}")


# --- the pairs evaluation gets wrong -----------------------------------------------------

def wrong_pairs(records: pd.DataFrame, xref: pd.DataFrame) -> tuple[list, list, int]:
    """Missed true pairs (one person, two customers) and false pairs (one customer, two
    persons) as (record, record) index pairs, and false pairs not listed (runaway clusters)."""
    joined = records.merge(xref, on=["source_system", "source_key"], how="left")
    missed, false, unlisted = [], [], 0
    for _, group in joined.groupby("person_id", sort=False):
        for i, j in combinations(group.index, 2):
            if joined.at[i, "customer_id"] != joined.at[j, "customer_id"]:
                missed.append((i, j))
    for _, group in joined.groupby("customer_id", sort=False):
        if len(group) > LISTED_CLUSTER:
            n = len(group)
            same = group.groupby("person_id").size()
            unlisted += n * (n - 1) // 2 - int((same * (same - 1) // 2).sum())
            continue
        for i, j in combinations(group.index, 2):
            if joined.at[i, "person_id"] != joined.at[j, "person_id"]:
                false.append((i, j))
    return missed, false, unlisted


def scored_pairs(warehouse_dsn: str) -> dict[tuple[str, str], str | None]:
    """The candidate pairs the resolution scored (record ids `system:key`), each with the rule
    that accepted it or None; empty if the resolution does not expose them."""
    try:
        with psycopg.connect(warehouse_dsn) as conn:
            rows = conn.execute("select record_a, record_b, rule "
                                "from intermediate.int_identity__pair_scores").fetchall()
    except psycopg.Error:
        return {}
    return {tuple(sorted((a, b))): rule for a, b, rule in rows}


def breakdown(title: str, pairs: list, records: pd.DataFrame, scored: dict, examples: int,
              console: Console, causes_shown: int = 15) -> None:
    """Pairs by cause, by field, and a few masked examples of the commonest causes. Per cause,
    how far its pairs got: never candidates (blocking), scored but accepted by no rule, or
    accepted by a rule and still on two customers (the cluster check split them)."""
    if not pairs:
        console.print(f"{title}: none")
        return
    rows = records.to_dict("index")
    by_cause: dict[str, list] = {}
    by_field: Counter = Counter()
    for i, j in pairs:
        labels = differences(rows[i], rows[j])
        by_field.update(labels)
        by_cause.setdefault(cause(labels), []).append((i, j))
    ranked = sorted(by_cause.items(), key=lambda item: (-len(item[1]), item[0]))

    def stages(found: list) -> list[str]:
        if not scored:
            return ["?", "?", "?"]
        outcome = Counter()
        for pair in found:
            key = tuple(sorted(f"{rows[k]['source_system']}:{rows[k]['source_key']}" for k in pair))
            outcome["not candidates" if key not in scored else
                    "no rule" if scored[key] is None else "linked"] += 1
        return [f"{outcome[stage]:,}" for stage in ("not candidates", "no rule", "linked")]

    table = Table(title=f"{title}: {len(pairs):,} pairs by cause")
    table.add_column("cause")
    for column in ("pairs", "not candidates", "scored, no rule", "linked by a rule"):
        table.add_column(column, justify="right")
    for reason, found in ranked[:causes_shown]:
        table.add_row(reason, f"{len(found):,}", *stages(found))
    rest = [pair for _, found in ranked[causes_shown:] for pair in found]
    if rest:
        table.add_row(f"({len(ranked) - causes_shown} other combinations)", f"{len(rest):,}",
                      *stages(rest))
    table.add_row("all", f"{len(pairs):,}", *stages(pairs), style="bold")
    console.print(table)
    fields = Table(title=f"{title}: pairs by field that differs (a pair counts in each)")
    fields.add_column("field")
    fields.add_column("pairs", justify="right")
    for label, n in by_field.most_common():
        fields.add_row(label, f"{n:,}")
    console.print(fields)
    if examples:
        console.print(f"{title}, masked examples (rec_id, given name, surname, birth year, "
                      "postcode, house number):")
        for reason, found in ranked[:8]:
            console.print(f"  {reason}:", highlight=False)
            for i, j in found[:examples]:
                console.print(f"    {masked(rows[i])}  |  {masked(rows[j])}", highlight=False)


# --- the run -------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", dest="febrl_set", choices=("febrl4", "febrl3"), default="febrl4")
    parser.add_argument("--originals", type=int, default=None,
                        help="FEBRL4 only: keep the persons numbered below this (the test's subset)")
    parser.add_argument("--examples", type=int, default=2, help="masked examples per cause")
    args = parser.parse_args()
    console = Console(width=120)
    seconds: dict[str, float] = {}
    with throwaway_warehouse("c360-eval-febrl-") as cluster:
        warehouse_dsn, finance_dsn, landing = cluster.warehouse_dsn, cluster.finance_dsn, cluster.landing
        truth = cluster.root / "truth" / "identities.csv"
        env = {**os.environ, **cluster.env}

        started = time.perf_counter()
        mapping: FebrlMapping = (map_febrl4(args.originals) if args.febrl_set == "febrl4"
                                 else map_febrl3())
        write_mapping(mapping, finance_dsn, landing, truth)
        seconds["map + write"] = time.perf_counter() - started

        started = time.perf_counter()
        bootstrap(warehouse_dsn)
        with console.status("loading with the finance and store loaders"):
            reports = load_mapping(finance_dsn, warehouse_dsn, landing)
        seconds["load"] = time.perf_counter() - started

        started = time.perf_counter()
        with console.status("c360 dbt build --select +customer_xref"):
            result = subprocess.run(
                [C360, "dbt", *RESOLUTION, "--vars", f"{{business_date: {BUSINESS_DATE}}}"],
                env=env, capture_output=True, text=True)
        seconds["dbt build"] = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(result.stdout[-4000:] + result.stderr[-2000:])

        started = time.perf_counter()
        scores = evaluate(warehouse_dsn, truth, sample_size=0)
        with psycopg.connect(warehouse_dsn) as conn:
            xref = pd.DataFrame(conn.execute(
                "select source_system, source_key, customer_id from marts.customer_xref"
            ).fetchall(), columns=["source_system", "source_key", "customer_id"], dtype=object)
        missed, false, unlisted = wrong_pairs(mapping.records, xref)
        scored = scored_pairs(warehouse_dsn)
        seconds["evaluate"] = time.perf_counter() - started

        loads = Table(title=f"{mapping.name}: mapped and loaded")
        for column in ("silo", "rows read", "rows loaded", "rows quarantined"):
            loads.add_column(column, justify="left" if column == "silo" else "right")
        for report in reports:
            loads.add_row(report.source_system, f"{report.rows_read:,}",
                          f"{report.rows_loaded:,}", f"{report.rows_quarantined:,}")
        console.print(loads)
        console.print(f"records {len(mapping.records):,}: billing accounts "
                      f"{len(mapping.accounts):,}, loyalty members {len(mapping.members):,}; "
                      f"birth dates missing {mapping.birth_dates_missing:,}, unparseable or "
                      f"impossible (loaded as NULL) {mapping.birth_dates_unparseable:,}")

        summary = Table(title=f"{mapping.name}: identity resolution against the FEBRL truth")
        summary.add_column("measure")
        summary.add_column("value", justify="right")
        for label, value in (
            ("precision", f"{scores.precision:.4f}"), ("recall", f"{scores.recall:.4f}"),
            ("F1", f"{scores.f1:.4f}"), ("true pairs", f"{scores.true_pairs:,}"),
            ("predicted pairs", f"{scores.predicted_pairs:,}"),
            ("true positive pairs", f"{scores.true_positive_pairs:,}"),
            ("missed true pairs", f"{scores.true_pairs - scores.true_positive_pairs:,}"),
            ("false pairs", f"{scores.predicted_pairs - scores.true_positive_pairs:,}"),
            ("customers", f"{scores.customers:,}"),
            ("largest customer (records)", f"{scores.largest_cluster:,}"),
            ("truth records missing from xref", f"{scores.truth_records_missing_from_xref:,}"),
            ("xref records missing from truth", f"{scores.xref_records_missing_from_truth:,}"),
            *((f"seconds: {stage}", f"{s:.1f}") for stage, s in seconds.items()),
        ):
            summary.add_row(label, value)
        console.print(summary)
        breakdown("missed true pairs", missed, mapping.records, scored, args.examples, console)
        breakdown("false pairs", false, mapping.records, scored, args.examples, console)
        if unlisted:
            console.print(f"[bold red]{unlisted:,} more false pairs in customers of more than "
                          f"{LISTED_CLUSTER} records, not listed[/]")


if __name__ == "__main__":
    main()

"""The run report and the summary read the right figures from a real warehouse.

A warehouse with known loads, refusals, clusters, segments, gate runs and
alerts; the figures collected, the tables printed and the charts written into
the HTML page must be exactly those.
"""

from __future__ import annotations

import json
import re
from datetime import date

import psycopg
import pytest
from rich.console import Console

from c360.local.report.facts import DagRunRow, collect
from c360.local.report.page import LATEST, write_report
from c360.local.report.terminal import print_summary
from c360.publishing.segments import load_segments
from c360.warehouse.bootstrap import bootstrap

NIGHT_1, NIGHT_2 = date(2026, 11, 2), date(2026, 11, 3)

LOADS = [
    ("finance", NIGHT_1, "billing.accounts", 100, 100, 0, "loaded"),
    ("web", NIGHT_1, "web/2026-11-02/events-00.jsonl.gz", 50, 48, 2, "loaded"),
    ("finance", NIGHT_2, "billing.accounts", 20, 20, 0, "loaded"),
    ("web", NIGHT_2, "web/2026-11-03/events-00.jsonl.gz", 30, 0, 30, "quarantined"),
]
QUARANTINE = [
    ("web", NIGHT_1, "occurred_at is not ISO 8601"),
    ("web", NIGHT_1, "occurred_at is not ISO 8601"),
    ("web", NIGHT_2, "truncated gzip"),
]
# customer -> records; the truth below puts store:S1 with B's person (one false merge).
XREF = {"C1": ["finance:A", "web:W1", "store:S1"], "C2": ["finance:B"], "C3": ["web:W2", "contact_center:K1"]}
TRUTH = {"finance:A": "P1", "web:W1": "P1", "store:S1": "P2", "finance:B": "P2",
         "web:W2": "P3", "contact_center:K1": "P3"}
SEGMENTS = [("C1", "high_value_at_risk"), ("C3", "high_value_at_risk"), ("C2", "new_customer")]
# (run, run_at, date, expectation, severity, success): an earlier failing run of night 2 is superseded.
GATE = [
    ("r0", "2026-11-03 07:00+00", NIGHT_1, "expect_a", "critical", True),
    ("r0", "2026-11-03 07:00+00", NIGHT_1, "expect_b", "critical", True),
    ("r1", "2026-11-04 07:00+00", NIGHT_2, "expect_a", "critical", False),
    ("r1", "2026-11-04 07:00+00", NIGHT_2, "expect_b", "critical", False),
    ("r2", "2026-11-04 08:00+00", NIGHT_2, "expect_a", "critical", True),
    ("r2", "2026-11-04 08:00+00", NIGHT_2, "expect_b", "critical", False),
    ("r2", "2026-11-04 08:00+00", NIGHT_2, "expect_c", "warning", False),
]


def fill(conn: psycopg.Connection) -> None:
    conn.cursor().executemany(
        "insert into ops.load_ledger (source_system, business_date, source_name, rows_read, rows_loaded,"
        " rows_quarantined, status) values (%s, %s, %s, %s, %s, %s, %s)", LOADS)
    conn.cursor().executemany(
        "insert into ops.quarantine (source_system, business_date, source_name, reason)"
        " values (%s, %s, 'f', %s)", QUARANTINE)
    conn.execute("create schema if not exists marts")
    conn.execute("create table marts.customer_xref"
                 " (customer_id text, source_system text, source_key text, resolution text)")
    conn.cursor().executemany("insert into marts.customer_xref values (%s, %s, %s, 'test')",
                              [(c, *r.split(":")) for c, records in XREF.items() for r in records])
    conn.execute("create table marts.customer_segments (customer_id text, segment text)")
    conn.cursor().executemany("insert into marts.customer_segments values (%s, %s)", SEGMENTS)
    for night, size in ((NIGHT_1, 5), (NIGHT_2, 7)):
        publication = conn.execute(
            "insert into ops.publications (business_date, relation, source, row_count)"
            " values (%s, 'published.customer_360', 'marts.customer_360', 3) returning publication_id",
            (night,)).fetchone()[0]
        conn.execute("insert into ops.published_segment_sizes (publication_id, business_date, segment, size)"
                     " values (%s, %s, 'high_value_at_risk', %s)", (publication, night, size))
    conn.cursor().executemany(
        "insert into ops.quality_results (run_name, run_by, run_at, business_date, validation, owner_area,"
        " suite, expectation, severity, success, unexpected_count, observed_value)"
        " values (%s, 'test', %s, %s, 'v', 'web', 'web_suite', %s, %s, %s, 4, 'observed')", GATE)
    conn.execute("insert into ops.alerts (owner, source_system, business_date, rule, rows_affected, message)"
                 " values ('Web team', 'web', %s, 'contract', 30, 'refused')", (NIGHT_2,))


@pytest.fixture
def facts(warehouse_dsn, tmp_path):
    bootstrap(warehouse_dsn)
    with psycopg.connect(warehouse_dsn) as conn:
        fill(conn)
    truth = tmp_path / "identities.csv"
    truth.write_text("source_system,source_key,person_id\n" + "".join(
        f"{record.replace(':', ',')},{person}\n" for record, person in TRUTH.items()))
    runs = [DagRunRow(NIGHT_1, "c360_ingest_web", "success", 3.5),
            DagRunRow(NIGHT_2, "c360_build", "failed", 9.0)]
    return collect(warehouse_dsn, truth, runs)


def test_the_figures_are_the_warehouses(facts):
    assert facts.loads_by_silo == [("finance", 2, 120, 120, 0, 0), ("web", 2, 80, 48, 32, 1)]
    assert facts.quarantine_reasons == [("web", "occurred_at is not ISO 8601", 2),
                                        ("web", "truncated gzip", 1)]
    assert facts.cluster_sizes == [(1, 1), (2, 1), (3, 1)]
    assert (facts.golden_customers, facts.source_records) == (3, 6)
    # predicted pairs: 3 in C1 + 1 in C3; true pairs: A-W1, S1-B, W2-K1; both: A-W1, W2-K1
    assert (facts.match.precision, facts.match.recall) == (0.5, pytest.approx(2 / 3))
    assert facts.candidate_segments == [("high_value_at_risk", 2), ("new_customer", 1)]
    assert facts.published_segments is None  # no publication of segments in this warehouse
    assert facts.segment_history == [(NIGHT_1, "high_value_at_risk", 5), (NIGHT_2, "high_value_at_risk", 7)]
    assert facts.quality_by_night == [(NIGHT_1, 2, 0, 0), (NIGHT_2, 1, 1, 1)]  # run r2 replaced r1
    assert [(f[1], f[3]) for f in facts.quality_failures] == [("expect_b", "critical"),
                                                              ("expect_c", "warning")]
    assert facts.alerts == [(NIGHT_2, "web", "contract", "Web team", 1)]


def test_an_empty_warehouse_reports_every_layer_as_not_built(warehouse_dsn, tmp_path):
    bootstrap(warehouse_dsn)
    empty = collect(warehouse_dsn, tmp_path / "missing.csv")
    assert (empty.cluster_sizes, empty.candidate_segments, empty.quality_by_night) == ([], None, [])
    assert empty.match is None and "no truth file" in empty.match_note
    console = Console(record=True, width=160)
    print_summary(empty, console)
    text = console.export_text()
    assert "golden customers: not built" in text and "quality gate: not built" in text
    assert "segments: not built" in text


def plotted(page: str) -> dict[str, list[dict]]:
    """Every chart in the page: its title -> its traces, as plotly serialised them."""
    decoder, charts = json.JSONDecoder(), {}
    for match in re.finditer(r"Plotly\.newPlot\(\s*", page):
        _, end = decoder.raw_decode(page, match.end())  # the div id
        traces, end = decoder.raw_decode(page, re.compile(r",\s*").match(page, end).end())
        layout, _ = decoder.raw_decode(page, re.compile(r",\s*").match(page, end).end())
        charts[layout["title"]["text"]] = traces
    return charts


def test_the_report_is_one_page_with_the_figures(facts, tmp_path):
    path = write_report(facts, tmp_path / "reports")
    assert (tmp_path / "reports" / LATEST).resolve() == path.resolve()
    page = path.read_text()
    assert "<script src" not in page and "plotly.js v" in page  # plotly.js inlined, opens offline
    charts = plotted(page)

    def series(title: str) -> dict[str, tuple[list, list]]:
        return {t["name"]: (t["x"], t["y"]) for t in charts[title]}

    nights = [str(NIGHT_1), str(NIGHT_2)]
    assert series("rows loaded per silo per night") == {"finance": (nights, [100, 20]),
                                                       "web": (nights, [48, 0])}
    assert series("rows quarantined per silo per night") == {"finance": (nights, [0, 0]),
                                                            "web": (nights, [2, 30])}
    assert charts["golden customers by number of source records they merge"][0]["y"] == [1, 1, 1]
    assert charts["pairwise match quality against the simulator's truth"][0]["text"] == [
        "0.5000", "0.6667", "0.5714"]
    assert series("published segment sizes per night (ops.published_segment_sizes)") == {
        "high_value_at_risk": (nights, [5, 7])}
    candidate = charts["segment sizes, candidate (marts.customer_segments)"][0]
    declared = {segment.name for segment in load_segments()}
    assert dict(zip(candidate["x"], candidate["y"], strict=True)) == {
        **dict.fromkeys(declared, 0), "high_value_at_risk": 2, "new_customer": 1}  # declared, not built: 0
    assert "published (published.customer_segments): not built" in page
    assert series("expectation results of the latest gate run per night") == {
        "passed": (nights, [2, 1]), "failed, blocking": (nights, [0, 1]), "failed, warning": (nights, [0, 1])}
    assert series("seconds per DAG run per night") == {
        "c360_ingest_web": ([str(NIGHT_1)], [3.5]), "c360_build": ([str(NIGHT_2)], [9.0])}
    assert "expect_c" in page and "truncated gzip" in page and "Web team" in page

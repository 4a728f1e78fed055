"""The run report and the summary read the right figures from a real warehouse.

A warehouse with known loads, refusals, clusters, segments, gate runs,
publications and alerts; the figures collected, the verdict, the tables
printed and the charts written into the HTML page must be exactly those.
"""

from __future__ import annotations

import json
import re
from datetime import date
from importlib.metadata import version

import psycopg
import pytest
from rich.console import Console

from c360.config import ConfigError, load_settings
from c360.local.report.facts import DagRunRow, collect
from c360.local.report.finish import run_context
from c360.local.report.history import HISTORY_FILE
from c360.local.report.page import LATEST, PLOTLY_JS, RunContext, write_report
from c360.local.report.sections import RUN_GRID_TITLE
from c360.local.report.terminal import print_summary
from c360.local.report.verdict import key_figures, verdict
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
    # What the publishing step and other engineers' models leave in schema published.
    conn.execute("create table published.customer_360 as select 'C' || i as customer_id"
                 " from generate_series(1, 3) i")
    conn.execute("create view published.newly_added as select * from published.customer_360 limit 2")


CONTEXT = RunContext(command="c360 run --start 2026-11-02 --end 2026-11-03", version="v0.1-3-gabc",
                     links=(("run logs", "/srv/c360/logs/run"), ("Airflow runs", "http://airflow:8080/dags")))


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
    assert facts.published_by_night == [(NIGHT_1, "published.customer_360", 3),
                                        (NIGHT_2, "published.customer_360", 3)]
    assert facts.published_relations == [("published.customer_360", 3), ("published.newly_added", 2)]
    assert facts.nights == [NIGHT_1, NIGHT_2]


def test_the_verdict_and_the_key_figures(facts):
    judged = verdict(facts)
    assert (judged.colour, judged.night, judged.night_before) == ("red", NIGHT_2, NIGHT_1)
    assert judged.reasons == ["DAG c360_build failed",
                              "quality gate: 1 blocking check(s) failed, nothing published",
                              "quality gate: 1 warning check(s) failed",
                              "30 of 50 rows quarantined (more than 1%)", "1 alert(s) sent"]
    assert key_figures(facts, NIGHT_2) == {
        "rows loaded": 20, "rows quarantined": 30, "golden customers published": 3,
        "quality gate": "1 passed, 1 blocking failed, 1 warnings failed", "rows published": 3,
        "run time": "9 s"}
    assert key_figures(facts, NIGHT_1)["rows loaded"] == 148
    # Without the failures the night is amber for its warning, quarantine and alert; without those, green.
    facts.dag_runs = [DagRunRow(NIGHT_2, "c360_build", "success", 9.0)]
    facts.quality_by_night[-1] = (NIGHT_2, 2, 0, 1)
    assert verdict(facts).colour == "amber"
    facts.quality_by_night[-1] = (NIGHT_2, 3, 0, 0)
    facts.alerts = []
    facts.loads_by_night = [row for row in facts.loads_by_night if row[3] == 0]
    assert (verdict(facts).colour, verdict(facts).reasons) == (
        "green", ["every DAG run succeeded", "the quality gate passed"])
    facts.quality_by_night.pop()
    assert verdict(facts).reasons == ["every DAG run succeeded", "no gate result for the night"]


def test_reports_kept_is_a_whole_number(monkeypatch):
    monkeypatch.setenv("C360_REPORTS_KEPT", "7")
    assert load_settings().reports_kept == 7
    for value in ("0", "-1", "ten", "2.5"):
        monkeypatch.setenv("C360_REPORTS_KEPT", value)
        with pytest.raises(ConfigError, match=rf"C360_REPORTS_KEPT must be a whole number from 1 .*'{value}"):
            load_settings()


def test_only_the_newest_reports_are_kept_beside_one_plotly(facts, tmp_path):
    reports = tmp_path / "reports"
    written = []
    for second in range(3):
        facts.written_at = facts.written_at.replace(second=second)
        written.append(write_report(facts, reports, CONTEXT, kept=2))
    assert sorted(reports.glob("run-*.html")) == written[1:]
    assert (reports / LATEST).resolve() == written[-1].resolve()
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        [LATEST, PLOTLY_JS, HISTORY_FILE, *(p.name for p in written[1:])])
    with pytest.raises(ValueError, match="at least the new report must be kept"):
        write_report(facts, reports, CONTEXT, kept=0)


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
    path = write_report(facts, tmp_path / "reports", CONTEXT, kept=5)
    assert (tmp_path / "reports" / LATEST).resolve() == path.resolve()
    page = path.read_text()
    # plotly.js is shared beside the pages, not inlined in each
    assert f"<script src='{PLOTLY_JS}'>" in page and "plotly.js v" not in page
    assert "plotly.js v" in (tmp_path / "reports" / PLOTLY_JS).read_text()
    assert path.stat().st_size < 100_000
    assert page.index('id="verdict"') < page.index("<h2>")  # the verdict comes first
    assert "RED: night of 2026-11-03" in page and CONTEXT.command in page and "v0.1-3-gabc" in page
    assert 'href="http://airflow:8080/dags"' in page and 'href="file:///srv/c360/logs/run"' in page
    assert "published.newly_added" in page
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
    (grid,) = charts[RUN_GRID_TITLE]
    assert (grid["x"], grid["y"]) == (nights, ["c360_build", "c360_ingest_web"])
    assert grid["z"] == [[None, 2], [0, None]]  # failed (red) on night 2, succeeded on night 1
    assert grid["text"] == [["", "9"], ["4", ""]]
    assert "expect_c" in page and "truncated gzip" in page and "Web team" in page


def test_match_quality_is_remembered_night_after_night(facts, tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / HISTORY_FILE).write_text(
        '{"night": "2026-11-02", "golden_customers": 2, "source_records": 5,'
        ' "precision": 0.9, "recall": 0.8}\n'
        '{"night": "2026-11-03", "golden_customers": 9, "source_records": 9}\n')  # replaced by this run's
    charts = plotted(write_report(facts, reports, CONTEXT, kept=5).read_text())
    nights = [str(NIGHT_1), str(NIGHT_2)]
    quality = {t["name"]: (t["x"], t["y"])
               for t in charts["pairwise match quality per night against the simulator's truth"]}
    assert quality == {"precision": (nights, [0.9, 0.5]), "recall": (nights, [0.8, pytest.approx(2 / 3)])}
    assert len((reports / HISTORY_FILE).read_text().splitlines()) == 2
    # Without a truth file: the records merged per night (6 records in 3 customers).
    facts.match = None
    charts = plotted(write_report(facts, tmp_path / "no_truth", CONTEXT, kept=5).read_text())
    assert charts["source records merged into another's customer per night"][0]["y"] == [None, 3]  # a gap
    (reports / HISTORY_FILE).write_text('{"night": "yesterday"}\n')
    with pytest.raises(ValueError, match=rf"{HISTORY_FILE}, line 1: not a night of match history .*delete"):
        write_report(facts, reports, CONTEXT, kept=5)


def test_the_summary_ends_with_the_published_tables_and_the_verdict(facts):
    console = Console(record=True, width=160)
    print_summary(facts, console)
    text = console.export_text()
    assert re.search(r"published\.customer_360 +│ +3", text)
    assert re.search(r"published\.newly_added +│ +2", text)
    lines = text.rstrip().splitlines()
    assert lines[-6:-3] == [" RED  night of 2026-11-03", "  DAG c360_build failed",
                            "  quality gate: 1 blocking check(s) failed, nothing published"]


def test_the_run_context_outside_a_checkout(monkeypatch, tmp_path):
    monkeypatch.setenv("C360_PROJECT_DIR", str(tmp_path))  # no git here
    monkeypatch.setenv("C360_DATA_DOCS_URL", "https://docs.example.com/gx")
    monkeypatch.setattr("sys.argv", ["/venv/bin/c360", "run", "--start", "2026-11-02"])
    context = run_context(load_settings())
    assert (context.command, context.version) == ("c360 run --start 2026-11-02", f"c360 {version('c360')}")
    assert dict(context.links)["GX data docs"] == "https://docs.example.com/gx/index.html"

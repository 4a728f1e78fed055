"""The figures of a run, read from the warehouse: what the summary and the run report show.

Every section reads relations that a layer of c360 owns (ops.load_ledger,
ops.quarantine, ops.alerts, ops.quality_results, marts.*, published.*). A layer
that has not been built yet (no segments, no gate run) gives an empty section,
shown as "not built", never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from c360.config import ConfigError
from c360.local.evaluation.pairs import Evaluation, EvaluationError, evaluate
from c360.publishing.segments import load_segments


@dataclass(frozen=True)
class DagRunRow:
    """One DAG run of this invocation (from c360.local.runner's results)."""

    business_date: date
    dag_id: str
    state: str
    seconds: float


@dataclass
class RunFacts:
    written_at: datetime
    first_date: date | None
    last_date: date | None
    dag_runs: list[DagRunRow] = field(default_factory=list)
    # (silo, files, rows read, rows loaded, rows quarantined, files refused whole)
    loads_by_silo: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)
    # (business date, silo, rows loaded, rows quarantined)
    loads_by_night: list[tuple[date, str, int, int]] = field(default_factory=list)
    # (silo, reason, rows)
    quarantine_reasons: list[tuple[str, str, int]] = field(default_factory=list)
    # (source records merged, golden customers); empty when marts.customer_xref is not built
    cluster_sizes: list[tuple[int, int]] = field(default_factory=list)
    # (silo, records, golden customers they belong to)
    records_by_silo: list[tuple[str, int, int]] = field(default_factory=list)
    match: Evaluation | None = None
    match_note: str = ""
    # every segment declared for marketers, built or not (dbt_project/.../segments.yml)
    declared_segments: list[str] = field(default_factory=list)
    # (segment, customers); None when the relation does not exist
    candidate_segments: list[tuple[str, int]] | None = None
    published_segments: list[tuple[str, int]] | None = None
    # (business date, segment, size) of every publication
    segment_history: list[tuple[date, str, int]] = field(default_factory=list)
    # (business date, passed, failed blocking, failed warnings) of the latest gate run per date
    quality_by_night: list[tuple[date, int, int, int]] = field(default_factory=list)
    # (suite, expectation, column, severity, observed, unexpected rows) failed in the latest gate run
    quality_failures: list[tuple[str, str, str, str, str, int]] = field(default_factory=list)
    quality_latest_date: date | None = None
    # (business date, silo or layer, rule, owner, alerts)
    alerts: list[tuple[date | None, str, str, str, int]] = field(default_factory=list)
    # the latest model per product line: (line, version, trained through, training from, to,
    # backtest date, AUC, baseline AUC, top-decile lift, baseline lift, calibration error)
    models: list[tuple] = field(default_factory=list)
    # the latest predicted CLV backtest: (backtest date, horizon days, metrics of c360.prediction.clv)
    clv: tuple | None = None
    # (business date, relation, rows) of every publication (ops.publications)
    published_by_night: list[tuple[date, str, int]] = field(default_factory=list)
    # (relation, rows) of every table and view in schema published, whoever added it
    published_relations: list[tuple[str, int]] = field(default_factory=list)
    # match figures of every night the reports remember (c360.local.report.history.MatchNight)
    match_history: list = field(default_factory=list)

    @property
    def nights(self) -> list[date]:
        """Every business date any section knows of: the common axis of the report's charts."""
        return sorted({*(run.business_date for run in self.dag_runs),
                       *(row[0] for row in self.loads_by_night), *(row[0] for row in self.quality_by_night),
                       *(row[0] for row in self.published_by_night)})

    def segment_sizes(self, sizes: list[tuple[str, int]] | None) -> list[tuple[str, int]] | None:
        """`sizes` with every declared segment, 0 where it has no customer; None stays None."""
        if sizes is None:
            return None
        by_name = dict(sizes)
        return [(name, by_name.get(name, 0)) for name in sorted({*self.declared_segments, *by_name})]

    @property
    def golden_customers(self) -> int:
        return sum(customers for _, customers in self.cluster_sizes)

    @property
    def source_records(self) -> int:
        return sum(size * customers for size, customers in self.cluster_sizes)


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def _rows(conn: psycopg.Connection, relation: str, query: str) -> list[tuple] | None:
    """`query`'s rows, or None when `relation` does not exist (that layer is not built yet)."""
    return conn.execute(query).fetchall() if _exists(conn, relation) else None


LOADS_BY_SILO = """
select source_system, count(*)::int, sum(rows_read)::bigint, sum(rows_loaded)::bigint,
       sum(rows_quarantined)::bigint, (count(*) filter (where status = 'quarantined'))::int
from ops.load_ledger group by 1 order by 1
"""
LOADS_BY_NIGHT = """
select business_date, source_system, sum(rows_loaded)::bigint, sum(rows_quarantined)::bigint
from ops.load_ledger group by 1, 2 order by 1, 2
"""
QUARANTINE_REASONS = """
select source_system, reason, count(*)::bigint from ops.quarantine
group by 1, 2 order by 3 desc, 1, 2 limit 20
"""
CLUSTER_SIZES = """
with sizes as (select customer_id, count(*) as records from marts.customer_xref group by 1)
select records::int, count(*)::int from sizes group by 1 order by 1
"""
RECORDS_BY_SILO = """
select source_system, count(*)::int, count(distinct customer_id)::int
from marts.customer_xref group by 1 order by 1
"""
SEGMENT_SIZES = "select segment, count(*)::int from {relation} group by 1 order by 1"
SEGMENT_HISTORY = """
select business_date, segment, size::bigint from ops.published_segment_sizes
where business_date is not null order by 1, 2
"""
# The latest gate run of each business date: a re-run replaces the verdict of the one before.
LATEST_GATE_RUNS = """
latest as (
    select distinct on (business_date) business_date, run_name
    from ops.quality_results order by business_date, run_at desc
)"""
QUALITY_BY_NIGHT = f"""
with {LATEST_GATE_RUNS}
select q.business_date,
       (count(*) filter (where q.success))::int,
       (count(*) filter (where not q.success and q.severity <> 'warning'))::int,
       (count(*) filter (where not q.success and q.severity = 'warning'))::int
from ops.quality_results q join latest using (business_date, run_name)
group by 1 order by 1
"""
QUALITY_FAILURES = f"""
with {LATEST_GATE_RUNS}
select q.suite, q.expectation, coalesce(q.column_name, ''), q.severity,
       coalesce(q.error, q.observed_value, ''), coalesce(q.unexpected_count, 0)::bigint
from ops.quality_results q join latest using (business_date, run_name)
where not q.success and q.business_date = (select max(business_date) from latest)
order by q.severity, q.suite, q.expectation
"""
MODELS = """
select distinct on (product_line) product_line, model_version, trained_through, training_from,
       training_to, backtest_date, (metrics ->> 'auc')::float, (metrics -> 'baseline' ->> 'auc')::float,
       (metrics ->> 'top_decile_lift')::float, (metrics -> 'baseline' ->> 'top_decile_lift')::float,
       (metrics ->> 'calibration_error')::float
from predictions.model_runs where kind = 'propensity'
order by product_line, trained_through desc, trained_at desc
"""
CLV = """
select backtest_date, label_days, metrics from predictions.model_runs where kind = 'clv'
order by trained_through desc, trained_at desc limit 1
"""
PUBLISHED_BY_NIGHT = """
select business_date, relation, row_count::bigint from ops.publications
where business_date is not null order by 1, 2
"""
PUBLISHED_RELATIONS = """
select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'published' and c.relkind in ('r', 'p', 'v', 'm') order by 1
"""
ALERTS = """
select business_date, source_system, rule, owner, count(*)::int from ops.alerts
group by 1, 2, 3, 4 order by 1 nulls first, 2, 3
"""


def published_row_counts(conn: psycopg.Connection) -> list[tuple[str, int]]:
    """Rows of every relation in schema published, found in the catalog so new tables appear."""
    names = [name for (name,) in conn.execute(PUBLISHED_RELATIONS)]
    return [(f"published.{name}", conn.execute(sql.SQL("select count(*) from {}").format(
        sql.Identifier("published", name))).fetchone()[0]) for name in names]


def _match(warehouse_dsn: str, truth: Path | None) -> tuple[Evaluation | None, str]:
    if truth is None or not truth.is_file():
        return None, "no truth file (only simulated silos have one)"
    try:
        return evaluate(warehouse_dsn, truth, sample_size=0), ""
    except psycopg.errors.UndefinedTable:
        return None, "marts.customer_xref is not built"
    except EvaluationError as exc:
        return None, str(exc)


def collect(
    warehouse_dsn: str, truth: Path | None = None, dag_runs: Sequence[DagRunRow] = ()
) -> RunFacts:
    """Read every figure of the summary and the report from the warehouse."""
    dates = sorted({run.business_date for run in dag_runs})
    facts = RunFacts(
        written_at=datetime.now(UTC),
        first_date=dates[0] if dates else None,
        last_date=dates[-1] if dates else None,
        dag_runs=list(dag_runs),
    )
    with psycopg.connect(warehouse_dsn) as conn:
        facts.loads_by_silo = _rows(conn, "ops.load_ledger", LOADS_BY_SILO) or []
        facts.loads_by_night = _rows(conn, "ops.load_ledger", LOADS_BY_NIGHT) or []
        facts.quarantine_reasons = _rows(conn, "ops.quarantine", QUARANTINE_REASONS) or []
        facts.cluster_sizes = _rows(conn, "marts.customer_xref", CLUSTER_SIZES) or []
        facts.records_by_silo = _rows(conn, "marts.customer_xref", RECORDS_BY_SILO) or []
        for attribute, relation in (("candidate_segments", "marts.customer_segments"),
                                    ("published_segments", "published.customer_segments")):
            setattr(facts, attribute, _rows(conn, relation, SEGMENT_SIZES.format(relation=relation)))
        facts.segment_history = _rows(conn, "ops.published_segment_sizes", SEGMENT_HISTORY) or []
        facts.quality_by_night = _rows(conn, "ops.quality_results", QUALITY_BY_NIGHT) or []
        facts.quality_failures = _rows(conn, "ops.quality_results", QUALITY_FAILURES) or []
        facts.alerts = _rows(conn, "ops.alerts", ALERTS) or []
        facts.models = _rows(conn, "predictions.model_runs", MODELS) or []
        facts.clv = next(iter(_rows(conn, "predictions.model_runs", CLV) or []), None)
        facts.published_by_night = _rows(conn, "ops.publications", PUBLISHED_BY_NIGHT) or []
        facts.published_relations = published_row_counts(conn)
    if facts.quality_by_night:
        facts.quality_latest_date = facts.quality_by_night[-1][0]
    facts.match, facts.match_note = _match(warehouse_dsn, truth)
    try:
        facts.declared_segments = [segment.name for segment in load_segments()]
    except ConfigError:
        facts.declared_segments = []  # a broken segments file is the build's error to report
    return facts

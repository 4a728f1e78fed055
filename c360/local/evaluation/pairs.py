"""Pairwise precision and recall of identity resolution against a truth file.

The truth (`source_system,source_key,person_id`, one row per identity-bearing
record) and `marts.customer_xref` are compared by record pairs: a pair is
predicted when both records share a customer_id and true when both share a
person_id. Pair counts come from group sizes (n·(n-1)/2 per group), never from
lists of pairs, so a million records cost one join.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table

TRUTH_COLUMNS = ["source_system", "source_key", "person_id"]


class EvaluationError(RuntimeError):
    """Evaluation cannot run; the message says why and what to do."""


class TruthFileError(EvaluationError):
    """The truth file is not what evaluation expects; the message says where."""


@dataclass
class Evaluation:
    records_compared: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    f1: float
    customers: int
    largest_cluster: int
    largest_cluster_customer_id: str | None
    truth_records_missing_from_xref: int
    xref_records_missing_from_truth: int
    customers_merging_several_persons: int
    persons_split_over_several_customers: int
    false_merges: list[dict] = field(default_factory=list)
    missed_links: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def read_truth(path: Path) -> list[tuple[str, str, str]]:
    """The truth rows; raises TruthFileError on a malformed file."""
    if not path.is_file():
        raise TruthFileError(f"truth file {path} does not exist")
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header != TRUTH_COLUMNS:
                raise TruthFileError(
                    f"{path}: the header must be {','.join(TRUTH_COLUMNS)}, got "
                    f"{','.join(header) if header else 'an empty file'}"
                )
            for line, row in enumerate(reader, start=2):
                if len(row) != 3 or not all(value.strip() for value in row):
                    raise TruthFileError(
                        f"{path}, line {line}: expected 3 non-empty fields, got {row!r}"
                    )
                key = (row[0], row[1])
                if key in seen:
                    raise TruthFileError(f"{path}, line {line}: record {row[0]}:{row[1]} repeated")
                seen.add(key)
                rows.append((row[0], row[1], row[2]))
    except UnicodeDecodeError as exc:
        raise TruthFileError(f"{path}: not UTF-8 ({exc.reason})") from exc
    return rows


# Pair counts from group sizes over the records both sides know.
PAIR_COUNTS_SQL = """
with joined as (
    select t.person_id, x.customer_id
    from truth t
    join marts.customer_xref x using (source_system, source_key)
),
by_person as (select count(*) as n from joined group by person_id),
by_customer as (select count(*) as n from joined group by customer_id),
by_both as (select count(*) as n from joined group by person_id, customer_id)
select
    (select count(*) from joined),
    (select coalesce(sum(n * (n - 1) / 2), 0) from by_person),
    (select coalesce(sum(n * (n - 1) / 2), 0) from by_customer),
    (select coalesce(sum(n * (n - 1) / 2), 0) from by_both),
    (select count(distinct customer_id) from joined),
    (select count(*) from (select 1 from joined group by customer_id
                           having count(distinct person_id) > 1) s),
    (select count(*) from (select 1 from joined group by person_id
                           having count(distinct customer_id) > 1) s)
"""

COVERAGE_SQL = """
select
    (select count(*) from truth t where not exists (
        select 1 from marts.customer_xref x
        where x.source_system = t.source_system and x.source_key = t.source_key)),
    (select count(*) from marts.customer_xref x where not exists (
        select 1 from truth t
        where x.source_system = t.source_system and x.source_key = t.source_key))
"""

LARGEST_SQL = """
select customer_id, count(*) from marts.customer_xref
group by customer_id order by count(*) desc, customer_id limit 1
"""

# One example pair per wrongly merged customer (two persons, one customer) or
# per split person (one person, two customers), with the pair's evidence when
# it was a candidate and how each record was resolved.
SAMPLE_SQL = """
with joined as (
    select t.person_id, x.customer_id, x.source_system || ':' || x.source_key as record_id,
           x.resolution
    from truth t
    join marts.customer_xref x using (source_system, source_key)
),
examples as (
    select distinct on ({group_key})
        a.record_id as record_1, b.record_id as record_2,
        a.resolution as resolution_1, b.resolution as resolution_2,
        a.customer_id as customer_1, b.customer_id as customer_2,
        a.person_id as person_1, b.person_id as person_2
    from joined a
    join joined b on {pair_condition} and a.record_id < b.record_id
    order by {group_key}, a.record_id, b.record_id
)
select e.*, l.rule, p.score, p.given_name_agreement, p.surname_agreement,
       p.birth_date_agreement, p.address_agreement, p.same_email, p.same_phone,
       p.email_is_shared, p.phone_is_shared, p.is_contradiction,
       p.blocks,
       r1.given_name || ' ' || coalesce(r1.surname_prefix || ' ', '') || r1.surname as name_1,
       r2.given_name || ' ' || coalesce(r2.surname_prefix || ' ', '') || r2.surname as name_2
from examples e
left join intermediate.int_identity__pair_scores p
    on p.record_a = e.record_1 and p.record_b = e.record_2
left join intermediate.int_identity__links l
    on l.record_a = e.record_1 and l.record_b = e.record_2
left join intermediate.int_identity__records r1 on r1.record_id = e.record_1
left join intermediate.int_identity__records r2 on r2.record_id = e.record_2
order by e.record_1
limit %s
"""


def _sample(conn: psycopg.Connection, kind: str, limit: int) -> list[dict]:
    if kind == "false_merge":
        sql = SAMPLE_SQL.format(
            group_key="a.customer_id",
            pair_condition="a.customer_id = b.customer_id and a.person_id <> b.person_id",
        )
    else:
        sql = SAMPLE_SQL.format(
            group_key="a.person_id",
            pair_condition="a.person_id = b.person_id and a.customer_id <> b.customer_id",
        )
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    return [
        {k: v for k, v in row.items() if v is not None}
        for row in cur.execute(sql, (limit,)).fetchall()
    ]


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def evaluate(warehouse_dsn: str, truth_path: Path, sample_size: int = 10) -> Evaluation:
    """Compare marts.customer_xref with the truth file."""
    truth = read_truth(truth_path)
    with psycopg.connect(warehouse_dsn) as conn:
        conn.execute(
            "create temporary table truth (source_system text, source_key text, person_id text)"
        )
        with conn.cursor().copy("copy truth from stdin") as copy:
            for row in truth:
                copy.write_row(row)
        conn.execute("create index on truth (source_system, source_key)")
        conn.execute("analyze truth")
        (compared, true_pairs, predicted, tp, customers, merging, split) = conn.execute(
            PAIR_COUNTS_SQL
        ).fetchone()
        missing_from_xref, missing_from_truth = conn.execute(COVERAGE_SQL).fetchone()
        largest = conn.execute(LARGEST_SQL).fetchone() or (None, 0)
        # the samples read the identity chain's evidence; a summary asks for none
        false_merges = _sample(conn, "false_merge", sample_size) if sample_size else []
        missed_links = _sample(conn, "missed_link", sample_size) if sample_size else []
    tp, predicted, true_pairs = int(tp), int(predicted), int(true_pairs)
    precision = _ratio(tp, predicted)
    recall = _ratio(tp, true_pairs)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Evaluation(
        records_compared=compared,
        true_pairs=true_pairs,
        predicted_pairs=predicted,
        true_positive_pairs=tp,
        precision=precision,
        recall=recall,
        f1=f1,
        customers=customers,
        largest_cluster=largest[1],
        largest_cluster_customer_id=largest[0],
        truth_records_missing_from_xref=missing_from_xref,
        xref_records_missing_from_truth=missing_from_truth,
        customers_merging_several_persons=merging,
        persons_split_over_several_customers=split,
        false_merges=false_merges,
        missed_links=missed_links,
    )


def run_evaluation(warehouse_dsn: str, truth_path: Path, sample_size: int = 10) -> Evaluation:
    """`evaluate`, with a clear message when the warehouse has no customer_xref yet."""
    try:
        return evaluate(warehouse_dsn, truth_path, sample_size)
    except psycopg.errors.UndefinedTable as exc:
        raise EvaluationError(
            "the warehouse has no marts.customer_xref yet: run "
            "`c360 dbt build --vars '{business_date: D}'` first"
        ) from exc


def _pair_table(title: str, rows: list[dict]) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("record_1", "name_1", "record_2", "name_2", "rule", "evidence"):
        table.add_column(column)
    for row in rows:
        evidence = ", ".join(
            f"{key}={row[key]}"
            for key in ("score", "given_name_agreement", "surname_agreement",
                        "birth_date_agreement", "address_agreement", "same_email",
                        "same_phone", "email_is_shared", "phone_is_shared", "blocks")
            if key in row
        ) or "not a candidate pair"
        rule = row.get("rule") or f"{row.get('resolution_1')} / {row.get('resolution_2')}"
        table.add_row(row["record_1"], row.get("name_1", ""), row["record_2"],
                      row.get("name_2", ""), rule, evidence)
    return table


def evaluate_report(result: Evaluation, console: Console) -> None:
    """Rich tables: the figures, then examples of false merges and missed links."""
    summary = Table(title="identity resolution against the truth")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row("pairwise precision", f"{result.precision:.4f}")
    summary.add_row("pairwise recall", f"{result.recall:.4f}")
    summary.add_row("F1", f"{result.f1:.4f}")
    for name in ("records_compared", "true_pairs", "predicted_pairs", "true_positive_pairs",
                 "customers", "largest_cluster", "customers_merging_several_persons",
                 "persons_split_over_several_customers", "truth_records_missing_from_xref",
                 "xref_records_missing_from_truth"):
        summary.add_row(name.replace("_", " "), f"{getattr(result, name):,}")
    console.print(summary)
    console.print(_pair_table("false merges (one customer, two persons)", result.false_merges))
    console.print(_pair_table("missed links (one person, two customers)", result.missed_links))

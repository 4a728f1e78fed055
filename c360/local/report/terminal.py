"""The end-of-run summary on the terminal: rich tables of the run's facts, then where to look next."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from c360.config import Settings
from c360.local.report.facts import RunFacts
from c360.local.report.sections import NOT_BUILT
from c360.local.report.verdict import verdict


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    result = Table(title=title)
    for i, header in enumerate(headers):
        result.add_column(header, justify="left" if i == 0 else "right")
    for row in rows:
        result.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    return result


def _segments(facts: RunFacts) -> Table | str:
    if facts.candidate_segments is None and facts.published_segments is None:
        return f"segments: {NOT_BUILT} (marts.customer_segments, published.customer_segments)"
    candidate = dict(facts.segment_sizes(facts.candidate_segments) or [])
    published = dict(facts.segment_sizes(facts.published_segments) or [])

    def size(sizes: list | None, by_name: dict[str, int], name: str) -> object:
        return NOT_BUILT if sizes is None else by_name.get(name, 0)

    return table("segment sizes", ["segment", "candidate (marts)", "published"], [
        (name, size(facts.candidate_segments, candidate, name),
         size(facts.published_segments, published, name))
        for name in sorted({*facts.declared_segments, *candidate, *published})
    ])


def _quality(facts: RunFacts) -> list[Table | str]:
    if not facts.quality_by_night:
        return [f"quality gate: {NOT_BUILT} (no row in ops.quality_results)"]
    parts: list[Table | str] = [table(
        "quality gate, latest run per night (ops.quality_results)",
        ["business date", "passed", "failed (blocking)", "failed (warning)"], facts.quality_by_night,
    )]
    if facts.quality_failures:
        parts.append(table(
            f"failed expectations on {facts.quality_latest_date}",
            ["suite", "expectation", "column", "severity", "observed", "unexpected rows"],
            [(*row[:4], str(row[4])[:60], row[5]) for row in facts.quality_failures],
        ))
    return parts


def _golden(facts: RunFacts) -> list[Table | str]:
    if not facts.cluster_sizes:
        return [f"golden customers: {NOT_BUILT} (marts.customer_xref)"]
    parts: list[Table | str] = [table(
        f"golden customers: {facts.golden_customers:,} from {facts.source_records:,} source records",
        ["source records merged", "customers"], facts.cluster_sizes,
    )]
    match = facts.match
    if match is None:
        parts.append(f"match quality: not evaluated ({facts.match_note})")
    else:
        parts.append(table("match quality against the simulator's truth", ["measure", "value"], [
            ("pairwise precision", f"{match.precision:.4f}"),
            ("pairwise recall", f"{match.recall:.4f}"),
            ("F1", f"{match.f1:.4f}"),
            ("customers merging several persons", match.customers_merging_several_persons),
            ("persons split over several customers", match.persons_split_over_several_customers),
            ("largest cluster", match.largest_cluster),
        ]))
    return parts


VERDICT_STYLES = {"red": "bold white on red", "amber": "bold black on yellow", "green": "bold white on green"}


def print_summary(facts: RunFacts, console: Console) -> None:
    console.print(table(
        "rows per silo (ops.load_ledger)",
        ["silo", "files/extracts", "read", "loaded", "quarantined", "files refused"], facts.loads_by_silo,
    ))
    if facts.quarantine_reasons:
        console.print(table("quarantine reasons (ops.quarantine)", ["silo", "reason", "rows"],
                            [(s, r[:70], n) for s, r, n in facts.quarantine_reasons[:8]]))
    for part in (*_golden(facts), _segments(facts), *_quality(facts)):
        console.print(part)
    console.print(table("alerts sent (ops.alerts)", ["business date", "silo or layer", "rule", "owner",
                                                     "alerts"],
                        [(night or "", *rest) for night, *rest in facts.alerts])
                  if facts.alerts else "alerts sent: none")
    console.print(table("published tables (schema published)", ["relation", "rows"],
                        facts.published_relations)
                  if facts.published_relations else "published tables: none yet")
    judged = verdict(facts)
    style = VERDICT_STYLES[judged.colour]
    console.print(f"[{style}] {judged.colour.upper()} [/] night of {judged.night or '-'}")
    for reason in judged.reasons:
        console.print(f"  {reason}", highlight=False)


def print_where_next(settings: Settings, console: Console, report: Path | None) -> None:
    from c360.local.report.docs import dbt_docs_index
    from c360.quality.context import data_docs_index

    lines = [
        ("run report", str(report) if report else "not written"),
        ("Airflow UI", "`.venv/bin/c360 ui` → http://localhost:8080 (the runs above are there)"),
        ("dbt docs", f"`.venv/bin/c360 docs` → {dbt_docs_index(settings)}"),
        ("data docs", f"{data_docs_index(settings)} (quality gate results)"),
        ("run logs", str(settings.home / "logs" / "run")),
        ("match quality", f"`.venv/bin/c360 evaluate --truth {settings.truth_dir / 'identities.csv'}`"),
        ("warehouse", "`.venv/bin/c360 status`: connection details; schemas ops, raw_*, marts, published"),
    ]
    console.print("\n[bold]Where to look next[/]")
    for what, where in lines:
        console.print(f"  {what:<14} {where}")

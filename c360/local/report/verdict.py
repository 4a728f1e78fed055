"""The verdict on the last night, and its key figures beside the night before's.

Red: a DAG run of the night failed, or the quality gate failed a blocking check
(publishing was blocked). Amber: a warning check failed, an alert was sent, or
more than QUARANTINE_SHARE_AMBER of the night's rows (loaded or quarantined) were quarantined.
Green otherwise. Without any night there is nothing to judge: amber.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from c360.local.report.facts import RunFacts

QUARANTINE_SHARE_AMBER = 0.01  # of the rows loaded or quarantined
RED, AMBER, GREEN = "red", "amber", "green"


@dataclass(frozen=True)
class Verdict:
    colour: str
    reasons: list[str]
    night: date | None
    night_before: date | None


def _succeeded(state: str) -> bool:
    return state.startswith("success")


def verdict(facts: RunFacts) -> Verdict:
    nights = facts.nights
    if not nights:
        return Verdict(AMBER, ["no business date was run or loaded yet"], None, None)
    night, before = nights[-1], (nights[-2] if len(nights) > 1 else None)
    red = [f"DAG {run.dag_id} {run.state}" for run in facts.dag_runs
           if run.business_date == night and not _succeeded(run.state)]
    amber = []
    gate = {row[0]: row[1:] for row in facts.quality_by_night}.get(night)
    if gate and gate[1]:
        red.append(f"quality gate: {gate[1]} blocking check(s) failed, nothing published")
    if gate and gate[2]:
        amber.append(f"quality gate: {gate[2]} warning check(s) failed")
    read = sum(row[2] + row[3] for row in facts.loads_by_night if row[0] == night)
    quarantined = sum(row[3] for row in facts.loads_by_night if row[0] == night)
    if read and quarantined / read > QUARANTINE_SHARE_AMBER:
        amber.append(f"{quarantined:,} of {read:,} rows quarantined "
                     f"(more than {QUARANTINE_SHARE_AMBER:.0%})")
    alerts = sum(row[4] for row in facts.alerts if row[0] == night)
    if alerts:
        amber.append(f"{alerts} alert(s) sent")
    colour = RED if red else AMBER if amber else GREEN
    passed = ["every DAG run succeeded",
              "the quality gate passed" if gate else "no gate result for the night"]
    return Verdict(colour, red + amber or passed, night, before)


def key_figures(facts: RunFacts, night: date | None) -> dict[str, object]:
    """The figures of `night` an on-call engineer compares first; '-' where a layer has none."""
    if night is None:
        return {}
    loads = [row for row in facts.loads_by_night if row[0] == night]
    gate = {row[0]: row[1:] for row in facts.quality_by_night}.get(night)
    published = [row for row in facts.published_by_night if row[0] == night]
    golden = [rows for _, relation, rows in published if relation == "published.customer_360"]
    runs = [run.seconds for run in facts.dag_runs if run.business_date == night]
    return {
        "rows loaded": sum(row[2] for row in loads) if loads else "-",
        "rows quarantined": sum(row[3] for row in loads) if loads else "-",
        "golden customers published": golden[-1] if golden else "-",
        "quality gate": ("-" if gate is None else
                         f"{gate[0]} passed, {gate[1]} blocking failed, {gate[2]} warnings failed"),
        "rows published": sum(row[2] for row in published) if published else "-",
        "run time": f"{sum(runs):,.0f} s" if runs else "-",
    }

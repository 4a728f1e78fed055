"""The report's sections below the verdict, each over the report's nights where it has nights."""

from __future__ import annotations

import html
import statistics
from collections.abc import Iterable, Sequence

import plotly.graph_objects as go

from c360.local.report.charts import (
    FAILED_RED,
    PASSED_GREEN,
    WARNING_AMBER,
    by_series,
    colour,
    figure,
    log_scale,
    nightly_bars,
    note,
)
from c360.local.report.facts import RunFacts

NOT_BUILT = "not built"
# A run this many times slower than its DAG's median over the report's nights is marked slow.
SLOW_FACTOR = 2.0


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        text = f"{value:,}" if isinstance(value, int) else f"{value:.4f}" if isinstance(value, float) \
            else str(value)
        return f"<td>{html.escape(text)}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(f"<tr>{''.join(cell(v) for v in row)}</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def loads_section(facts: RunFacts) -> str:
    if not facts.loads_by_night:
        return note("nothing loaded yet (ops.load_ledger is empty)")
    nights = facts.nights
    loaded = ((night, silo, rows) for night, silo, rows, _ in facts.loads_by_night)
    quarantined = ((night, silo, rows) for night, silo, _, rows in facts.loads_by_night)
    return "".join([
        nightly_bars(loaded, "rows loaded per silo per night", "rows (log scale)", nights, log=True),
        nightly_bars(quarantined, "rows quarantined per silo per night", "rows (log scale)", nights,
                     log=True),
        table(["silo", "files/extracts", "read", "loaded", "quarantined", "files refused whole"],
              facts.loads_by_silo),
        "<h3>quarantine reasons</h3>",
        table(["silo", "reason", "rows"], facts.quarantine_reasons)
        if facts.quarantine_reasons else note("no row was quarantined"),
    ])


def match_section(facts: RunFacts) -> str:
    golden = [(night, "golden customers", rows) for night, relation, rows in facts.published_by_night
              if relation == "published.customer_360"]
    parts = [nightly_bars(golden, "golden customers published per night (published.customer_360)",
                          "customers", facts.nights, colours={"golden customers": PASSED_GREEN}),
             match_history_chart(facts)]
    if not facts.cluster_sizes:
        return "".join([*parts, note(f"golden customers: {NOT_BUILT} (marts.customer_xref)")])
    sizes = go.Figure(go.Bar(x=[size for size, _ in facts.cluster_sizes],
                             y=[customers for _, customers in facts.cluster_sizes]))
    sizes.update_xaxes(type="category")
    log_scale(sizes, [customers for _, customers in facts.cluster_sizes])
    parts += [
        note(f"{facts.golden_customers:,} golden customers from {facts.source_records:,} "
             "identity-bearing source records"),
        figure(sizes, "golden customers by number of source records they merge",
               "source records merged", "golden customers (log scale)"),
        table(["silo", "source records", "golden customers"], facts.records_by_silo),
    ]
    match = facts.match
    if match is None:
        parts.append(note(f"match quality: not evaluated ({facts.match_note})"))
        return "".join(parts)
    quality = go.Figure(go.Bar(x=["precision", "recall", "F1"], y=[match.precision, match.recall, match.f1],
                               text=[f"{v:.4f}" for v in (match.precision, match.recall, match.f1)]))
    quality.update_yaxes(range=[0, 1])
    parts += [
        figure(quality, "pairwise match quality against the simulator's truth", "measure",
               "share of pairs (0 to 1)"),
        table(["measure", "value"], [
            ("records compared", match.records_compared), ("true pairs", match.true_pairs),
            ("predicted pairs", match.predicted_pairs), ("true positive pairs", match.true_positive_pairs),
            ("customers merging several persons", match.customers_merging_several_persons),
            ("persons split over several customers", match.persons_split_over_several_customers),
            ("largest cluster", match.largest_cluster),
        ]),
    ]
    return "".join(parts)


def match_history_chart(facts: RunFacts) -> str:
    """Precision and recall per night where a truth file gave them, else the records merged per night."""
    history = facts.match_history
    scored = [entry for entry in history if entry.precision is not None]
    if scored:
        fig = go.Figure([go.Scatter(x=[str(e.night) for e in scored], y=[getattr(e, measure) for e in scored],
                                    name=measure, mode="lines+markers", line_color=colour(measure))
                         for measure in ("precision", "recall")])
        fig.update_yaxes(range=[0, 1.05])
        return figure(fig, "pairwise match quality per night against the simulator's truth", "business date",
                      "share of pairs (0 to 1)", facts.nights)
    merged = [(entry.night, "source records merged", entry.merged) for entry in history]
    return nightly_bars(merged, "source records merged into another's customer per night", "records",
                        facts.nights)


def segments_section(facts: RunFacts) -> str:
    parts = []
    if facts.segment_history:
        fig = go.Figure([go.Scatter(x=xs, y=ys, name=name, mode="lines+markers", line_color=colour(name))
                         for name, (xs, ys) in by_series(facts.segment_history).items()])
        parts.append(figure(fig, "published segment sizes per night (ops.published_segment_sizes)",
                            "business date", "customers", facts.nights))
    else:
        parts.append(note("no publication yet: segment sizes over time start with the first one"))
    for label, built in (("candidate (marts.customer_segments)", facts.candidate_segments),
                         ("published (published.customer_segments)", facts.published_segments)):
        sizes = facts.segment_sizes(built)
        if sizes is None:
            parts.append(note(f"{label}: {NOT_BUILT}"))
        elif sizes:
            fig = go.Figure(go.Bar(x=[s for s, _ in sizes], y=[n for _, n in sizes]))
            parts.append(figure(fig, f"segment sizes, {label}", "segment", "customers"))
        else:
            parts.append(note(f"{label}: empty"))
    return "".join(parts)


def published_section(facts: RunFacts) -> str:
    if not facts.published_relations:
        return note("schema published holds no table yet")
    per_night = ((night, relation, rows) for night, relation, rows in facts.published_by_night)
    return "".join([
        table(["relation", "rows now"], facts.published_relations),
        nightly_bars(per_night, "rows published per relation per night (ops.publications)",
                     "rows (log scale)", facts.nights, log=True),
    ])


def _bars(points: Iterable[tuple[str, str, float]], title: str, x_title: str, y_title: str) -> str:
    fig = go.Figure([go.Bar(x=xs, y=ys, name=name, marker_color=colour(name))
                     for name, (xs, ys) in by_series(points).items()])
    return figure(fig, title, x_title, y_title)


def propensity_section(facts: RunFacts) -> str:
    if not facts.models:
        return note("no propensity model trained yet (predictions.model_runs): "
                    "`c360 train --date` or the c360_train_propensity DAG trains one")
    points = [(line, name, value or 0.0) for line, *_, auc, base_auc, lift, base_lift, _ in facts.models
              for name, value in (("AUC", auc), ("AUC, recency-frequency baseline", base_auc))]
    lifts = [(line, name, value or 0.0) for line, *_, auc, base_auc, lift, base_lift, _ in facts.models
             for name, value in (("top-decile lift", lift), ("lift, baseline", base_lift))]
    return "".join([
        _bars(points, "backtest AUC per product line, model beside baseline", "product line", "AUC (0 to 1)"),
        _bars(lifts, "backtest top-decile lift per product line, model beside baseline", "product line",
              "lift (times the base rate)"),
        table(["product line", "model version", "trained through", "training from", "training to",
               "backtest date", "AUC", "baseline AUC", "lift", "baseline lift", "calibration error"],
              [["-" if v is None else v for v in row] for row in facts.models]),
        clv_table(facts),
    ])


def clv_table(facts: RunFacts) -> str:
    if facts.clv is None:
        return note("predicted CLV: no backtest yet (`c360 train --date` runs one)")
    at, days, metrics = facts.clv
    rows = [[label, *("-" if metrics[key][f] is None else metrics[key][f]
                      for f in ("mae", "spearman", "total_ratio"))]
            for key, label in (("rule", "rule (customer_360's, scaled)"), ("model", "regressor"),
                               ("zero", "predict 0"), ("mean", "predict the mean spend"))]
    return "".join([
        f"<h3>predicted CLV backtest: spend in the {days} days after {at}, "
        f"{metrics['rows']:,} customers, {metrics['buyers']:,} spent</h3>",
        table(["predictor", "MAE", "Spearman", "predicted / actual total"], rows),
    ])


GATE_COLOURS = {"passed": PASSED_GREEN, "failed, blocking": FAILED_RED, "failed, warning": WARNING_AMBER}


def quality_section(facts: RunFacts) -> str:
    if not facts.quality_by_night:
        return note(f"quality gate: {NOT_BUILT} (no row in ops.quality_results)")
    points = [(night, status, n) for night, passed, blocking, warnings in facts.quality_by_night
              for status, n in (("passed", passed), ("failed, blocking", blocking),
                                ("failed, warning", warnings))]
    failures = (table(["suite", "expectation", "column", "severity", "observed", "unexpected rows"],
                      facts.quality_failures)
                if facts.quality_failures else note("every expectation passed"))
    return "".join([
        nightly_bars(points, "expectation results of the latest gate run per night", "expectations",
                     facts.nights, colours=GATE_COLOURS, stacked=True),
        f"<h3>failed expectations on {facts.quality_latest_date}</h3>", failures,
    ])


def alerts_section(facts: RunFacts) -> str:
    if not facts.alerts:
        return note("no alert was sent")
    return table(["business date", "silo or layer", "rule", "owner", "alerts"],
                 [(night or "", *rest) for night, *rest in facts.alerts])


RUN_GRID_TITLE = "DAG runs: nights × DAG (green succeeded, amber slow, red failed; seconds in each cell)"
# Heatmap values of a cell: its colour comes from the scale below.
SUCCEEDED, SLOW, FAILED = 0, 1, 2
GRID_SCALE = [[0.0, PASSED_GREEN], [0.33, PASSED_GREEN], [0.34, WARNING_AMBER], [0.66, WARNING_AMBER],
              [0.67, FAILED_RED], [1.0, FAILED_RED]]


def runs_section(facts: RunFacts) -> str:
    if not facts.dag_runs:
        return note("no DAG run in this invocation")
    nights = facts.nights
    dags = sorted({run.dag_id for run in facts.dag_runs})
    median = {dag: statistics.median(r.seconds for r in facts.dag_runs if r.dag_id == dag) for dag in dags}
    cells: dict[tuple[str, str], tuple[int, str]] = {}
    for run in facts.dag_runs:
        state = (FAILED if not run.state.startswith("success")
                 else SLOW if run.seconds > SLOW_FACTOR * median[run.dag_id] else SUCCEEDED)
        cells[(run.dag_id, str(run.business_date))] = (state, f"{run.seconds:.0f}")
    columns = [str(night) for night in nights]
    grid = go.Heatmap(
        x=columns, y=dags, zmin=SUCCEEDED, zmax=FAILED, colorscale=GRID_SCALE, showscale=False,
        z=[[cells.get((dag, night), (None, ""))[0] for night in columns] for dag in dags],
        text=[[cells.get((dag, night), (None, ""))[1] for night in columns] for dag in dags],
        texttemplate="%{text}", xgap=2, ygap=2,
        hovertemplate="%{y} on %{x}: %{text} s<extra></extra>",
    )
    failed = [(r.business_date, r.dag_id, r.state, f"{r.seconds:.1f}") for r in facts.dag_runs
              if not r.state.startswith("success")]
    return "".join([
        figure(go.Figure(grid), RUN_GRID_TITLE, "business date", "DAG", nights,
               height=max(220, 60 + 28 * len(dags))),
        table(["business date", "DAG", "state", "seconds"], failed) if failed
        else note("every DAG run succeeded"),
    ])

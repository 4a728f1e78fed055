"""The run report: one self-contained HTML page with charts, written after every run.

Charts are plotly figures; plotly.js is inlined once in the page's head, so the
file opens anywhere, offline, and can be attached to a ticket as it is. Pages
go to `$C360_HOME/reports/`, one per run, and `latest.html` points at the newest.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from c360.local.report.facts import RunFacts

LATEST = "latest.html"
NOT_BUILT = "not built"


def _figure(fig: go.Figure, title: str) -> str:
    fig.update_layout(title=title, height=360, margin={"t": 50, "b": 40, "l": 60, "r": 20},
                      template="plotly_white", barmode=fig.layout.barmode or "group")
    return fig.to_html(full_html=False, include_plotlyjs=False)


def _by_series(points: Iterable[tuple[object, str, float]]) -> dict[str, tuple[list, list]]:
    """(x, series, y) points as series -> (xs, ys), for one trace per series."""
    series: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for x, name, y in points:
        series[name][0].append(x)
        series[name][1].append(y)
    return dict(series)


def _bars(points: Iterable[tuple[object, str, float]], title: str, stacked: bool = False) -> str:
    fig = go.Figure([go.Bar(x=xs, y=ys, name=name) for name, (xs, ys) in _by_series(points).items()])
    fig.update_layout(barmode="stack" if stacked else "group")
    return _figure(fig, title)


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        text = f"{value:,}" if isinstance(value, int) else f"{value:.4f}" if isinstance(value, float) \
            else str(value)
        return f"<td>{html.escape(text)}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(f"<tr>{''.join(cell(v) for v in row)}</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def loads_section(facts: RunFacts) -> str:
    if not facts.loads_by_night:
        return _note("nothing loaded yet (ops.load_ledger is empty)")
    loaded = ((night, silo, rows) for night, silo, rows, _ in facts.loads_by_night)
    quarantined = ((night, silo, rows) for night, silo, _, rows in facts.loads_by_night)
    return "".join([
        _bars(loaded, "rows loaded per silo per night"),
        _bars(quarantined, "rows quarantined per silo per night"),
        _table(["silo", "files/extracts", "read", "loaded", "quarantined", "files refused whole"],
               facts.loads_by_silo),
        "<h3>quarantine reasons</h3>",
        _table(["silo", "reason", "rows"], facts.quarantine_reasons)
        if facts.quarantine_reasons else _note("no row was quarantined"),
    ])


def match_section(facts: RunFacts) -> str:
    if not facts.cluster_sizes:
        return _note(f"golden customers: {NOT_BUILT} (marts.customer_xref)")
    sizes = go.Figure(go.Bar(x=[size for size, _ in facts.cluster_sizes],
                             y=[customers for _, customers in facts.cluster_sizes]))
    sizes.update_xaxes(title="source records merged", type="category")
    sizes.update_yaxes(title="golden customers")
    parts = [
        _note(f"{facts.golden_customers:,} golden customers from {facts.source_records:,} "
              "identity-bearing source records"),
        _figure(sizes, "golden customers by number of source records they merge"),
        _table(["silo", "source records", "golden customers"], facts.records_by_silo),
    ]
    match = facts.match
    if match is None:
        parts.append(_note(f"match quality: not evaluated ({facts.match_note})"))
        return "".join(parts)
    quality = go.Figure(go.Bar(x=["precision", "recall", "F1"], y=[match.precision, match.recall, match.f1],
                               text=[f"{v:.4f}" for v in (match.precision, match.recall, match.f1)]))
    quality.update_yaxes(range=[0, 1])
    parts += [
        _figure(quality, "pairwise match quality against the simulator's truth"),
        _table(["measure", "value"], [
            ("records compared", match.records_compared), ("true pairs", match.true_pairs),
            ("predicted pairs", match.predicted_pairs), ("true positive pairs", match.true_positive_pairs),
            ("customers merging several persons", match.customers_merging_several_persons),
            ("persons split over several customers", match.persons_split_over_several_customers),
            ("largest cluster", match.largest_cluster),
        ]),
    ]
    return "".join(parts)


def segments_section(facts: RunFacts) -> str:
    parts = []
    if facts.segment_history:
        fig = go.Figure([go.Scatter(x=xs, y=ys, name=name, mode="lines+markers")
                         for name, (xs, ys) in _by_series(facts.segment_history).items()])
        parts.append(_figure(fig, "published segment sizes per night (ops.published_segment_sizes)"))
    else:
        parts.append(_note("no publication yet: segment sizes over time start with the first one"))
    for label, built in (("candidate (marts.customer_segments)", facts.candidate_segments),
                         ("published (published.customer_segments)", facts.published_segments)):
        sizes = facts.segment_sizes(built)
        if sizes is None:
            parts.append(_note(f"{label}: {NOT_BUILT}"))
        elif sizes:
            fig = go.Figure(go.Bar(x=[s for s, _ in sizes], y=[n for _, n in sizes]))
            parts.append(_figure(fig, f"segment sizes, {label}"))
        else:
            parts.append(_note(f"{label}: empty"))
    return "".join(parts)


def propensity_section(facts: RunFacts) -> str:
    if not facts.models:
        return _note("no propensity model trained yet (predictions.model_runs): "
                     "`c360 train --date` or the c360_train_propensity DAG trains one")
    points = [(line, figure, value or 0.0) for line, *_, auc, base_auc, lift, base_lift, _ in facts.models
              for figure, value in (("AUC", auc), ("AUC, recency-frequency baseline", base_auc))]
    lifts = [(line, figure, value or 0.0) for line, *_, auc, base_auc, lift, base_lift, _ in facts.models
             for figure, value in (("top-decile lift", lift), ("lift, baseline", base_lift))]
    return "".join([
        _bars(points, "backtest AUC per product line, model beside baseline"),
        _bars(lifts, "backtest top-decile lift per product line, model beside baseline"),
        _table(["product line", "model version", "trained through", "training from", "training to",
                "backtest date", "AUC", "baseline AUC", "lift", "baseline lift", "calibration error"],
               [["-" if v is None else v for v in row] for row in facts.models]),
        clv_table(facts),
    ])


def clv_table(facts: RunFacts) -> str:
    if facts.clv is None:
        return _note("predicted CLV: no backtest yet (`c360 train --date` runs one)")
    at, days, metrics = facts.clv
    rows = [[label, *("-" if metrics[key][f] is None else metrics[key][f]
                      for f in ("mae", "spearman", "total_ratio"))]
            for key, label in (("rule", "rule (customer_360's, scaled)"), ("model", "regressor"),
                               ("zero", "predict 0"), ("mean", "predict the mean spend"))]
    return "".join([
        f"<h3>predicted CLV backtest: spend in the {days} days after {at}, "
        f"{metrics['rows']:,} customers, {metrics['buyers']:,} spent</h3>",
        _table(["predictor", "MAE", "Spearman", "predicted / actual total"], rows),
    ])


def quality_section(facts: RunFacts) -> str:
    if not facts.quality_by_night:
        return _note(f"quality gate: {NOT_BUILT} (no row in ops.quality_results)")
    points = [(night, status, n) for night, passed, blocking, warnings in facts.quality_by_night
              for status, n in (("passed", passed), ("failed, blocking", blocking),
                                ("failed, warning", warnings))]
    failures = (_table(["suite", "expectation", "column", "severity", "observed", "unexpected rows"],
                       facts.quality_failures)
                if facts.quality_failures else _note("every expectation passed"))
    return "".join([
        _bars(points, "expectation results of the latest gate run per night", stacked=True),
        f"<h3>failed expectations on {facts.quality_latest_date}</h3>", failures,
    ])


def alerts_section(facts: RunFacts) -> str:
    if not facts.alerts:
        return _note("no alert was sent")
    return _table(["business date", "silo or layer", "rule", "owner", "alerts"],
                  [(night or "", *rest) for night, *rest in facts.alerts])


def runs_section(facts: RunFacts) -> str:
    if not facts.dag_runs:
        return _note("no DAG run in this invocation")
    points = ((run.business_date, run.dag_id, run.seconds) for run in facts.dag_runs)
    return "".join([
        _bars(points, "seconds per DAG run per night", stacked=True),
        _table(["business date", "DAG", "state", "seconds"],
               [(r.business_date, r.dag_id, r.state, f"{r.seconds:.1f}") for r in facts.dag_runs]),
    ])


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; }
"""


def render(facts: RunFacts) -> str:
    """The whole page as HTML text."""
    nights = (f"business dates {facts.first_date} … {facts.last_date}" if facts.first_date
              else "the warehouse as it is")
    sections = [
        ("Rows loaded and quarantined", loads_section(facts)),
        ("Golden customers and match quality", match_section(facts)),
        ("Segments", segments_section(facts)),
        ("Propensity models", propensity_section(facts)),
        ("Quality gate", quality_section(facts)),
        ("Alerts sent", alerts_section(facts)),
        ("DAG runs", runs_section(facts)),
    ]
    body = "".join(f"<h2>{html.escape(title)}</h2>{content}" for title, content in sections)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>c360 run report</title><style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>c360 run report</h1><p>{html.escape(nights)}; written "
        f"{facts.written_at:%Y-%m-%d %H:%M:%S} UTC</p>{body}</body></html>"
    )


def write_report(facts: RunFacts, reports_dir: Path) -> Path:
    """Write the page to `reports_dir` and point `latest.html` at it; returns its path."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    span = f"_{facts.first_date}_{facts.last_date}" if facts.first_date else ""
    path = reports_dir / f"run-{facts.written_at:%Y%m%dT%H%M%S}{span}.html"
    path.write_text(render(facts), encoding="utf-8")
    latest = reports_dir / LATEST
    latest.unlink(missing_ok=True)
    latest.symlink_to(path.name)
    return path

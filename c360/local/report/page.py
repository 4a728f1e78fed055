"""The run report: one HTML page per run, the verdict on top, then every section over the same nights.

Charts are plotly figures. The pages share one copy of plotly.js beside them
(plotly.min.js in the same folder), so a page is small; to send one, send the
folder or print it to PDF. Pages go to `$C360_HOME/reports/`, one per run,
`latest.html` points at the newest, and only the newest C360_REPORTS_KEPT are kept.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from plotly.offline import get_plotlyjs

from c360.local.report.facts import RunFacts
from c360.local.report.history import remember_match
from c360.local.report.sections import (
    alerts_section,
    loads_section,
    match_section,
    propensity_section,
    published_section,
    quality_section,
    runs_section,
    segments_section,
    table,
)
from c360.local.report.verdict import AMBER, GREEN, RED, key_figures, verdict

LATEST = "latest.html"
PLOTLY_JS = "plotly.min.js"
REPORT_GLOB = "run-*.html"
VERDICT_COLOURS = {RED: "#c62828", AMBER: "#f9a825", GREEN: "#2e7d32"}


@dataclass(frozen=True)
class RunContext:
    """What the warehouse does not know about a run: who ran what, which code, where its traces are."""

    command: str
    version: str
    # (what, where): a local path or a URL
    links: tuple[tuple[str, str], ...] = ()


def _link(where: str) -> str:
    href = where if "://" in where else Path(where).as_uri() if where.startswith("/") else where
    return f'<a href="{html.escape(href)}">{html.escape(where)}</a>'


def banner(facts: RunFacts, context: RunContext) -> str:
    """The verdict, the last night's key figures beside the night before's, and where to look."""
    judged = verdict(facts)
    tonight, before = key_figures(facts, judged.night), key_figures(facts, judged.night_before)
    figures = table(["", str(judged.night or "-"), str(judged.night_before or "-")],
                    [(name, value, before.get(name, "-")) for name, value in tonight.items()]) \
        if tonight else ""
    reasons = "".join(f"<li>{html.escape(reason)}</li>" for reason in judged.reasons)
    links = "".join(f"<li>{html.escape(what)}: {_link(where)}</li>" for what, where in context.links)
    return (
        f'<div id="verdict" class="verdict {judged.colour}" '
        f'style="background:{VERDICT_COLOURS[judged.colour]}">'
        f"<h1>{judged.colour.upper()}: night of {judged.night or '-'}</h1><ul>{reasons}</ul></div>"
        f"<div class='run'>{figures}<p>run {facts.written_at:%Y%m%dT%H%M%S} · "
        f"<code>{html.escape(context.command)}</code> · code {html.escape(context.version)}</p>"
        f"<ul>{links}</ul></div>"
    )


STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto 2rem; max-width: 72rem; color: #222; }
.verdict { color: #fff; padding: 0.8rem 1.2rem; }
.verdict h1 { margin: 0 0 0.3rem; }
.verdict ul { margin: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; }
"""


def render(facts: RunFacts, context: RunContext) -> str:
    """The whole page as HTML text; it loads plotly.js from PLOTLY_JS beside it."""
    nights = (f"business dates {facts.nights[0]} … {facts.nights[-1]}" if facts.nights
              else "the warehouse as it is")
    sections = [
        ("DAG runs", runs_section(facts)),
        ("Quality gate", quality_section(facts)),
        ("Rows loaded and quarantined", loads_section(facts)),
        ("Alerts sent", alerts_section(facts)),
        ("Golden customers and match quality", match_section(facts)),
        ("Published tables", published_section(facts)),
        ("Segments", segments_section(facts)),
        ("Propensity models", propensity_section(facts)),
    ]
    body = "".join(f"<h2>{html.escape(title)}</h2>{content}" for title, content in sections)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>c360 run report</title><style>{STYLE}</style>"
        f"<script src='{PLOTLY_JS}'></script></head><body>{banner(facts, context)}"
        f"<p>{html.escape(nights)}; written {facts.written_at:%Y-%m-%d %H:%M:%S} UTC</p>{body}</body></html>"
    )


def _share_plotly(reports_dir: Path) -> None:
    """Write plotly.js beside the reports once, again only when the installed plotly's differs."""
    script = reports_dir / PLOTLY_JS
    text = get_plotlyjs()
    if not script.is_file() or script.stat().st_size != len(text.encode()):
        script.write_text(text, encoding="utf-8")


def _keep_newest(reports_dir: Path, kept: int) -> None:
    """Delete all but the newest `kept` reports (their names sort by the time they were written)."""
    for old in sorted(reports_dir.glob(REPORT_GLOB))[:-kept]:
        old.unlink()


def write_report(facts: RunFacts, reports_dir: Path, context: RunContext, kept: int) -> Path:
    """Write the page to `reports_dir`, point `latest.html` at it, keep the newest `kept`; its path."""
    if kept < 1:
        raise ValueError(f"at least the new report must be kept, got kept={kept}")
    reports_dir.mkdir(parents=True, exist_ok=True)
    _share_plotly(reports_dir)
    facts.match_history = remember_match(reports_dir, facts)
    span = f"_{facts.first_date}_{facts.last_date}" if facts.first_date else ""
    path = reports_dir / f"run-{facts.written_at:%Y%m%dT%H%M%S}{span}.html"
    path.write_text(render(facts, context), encoding="utf-8")
    latest = reports_dir / LATEST
    latest.unlink(missing_ok=True)
    latest.symlink_to(path.name)
    _keep_newest(reports_dir, kept)
    return path

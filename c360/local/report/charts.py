"""The report's charts: one look for all of them, so sections read alike.

Every chart over nights spans the same nights (the report's), a silo has one
colour everywhere, failures are red, and a chart with nothing to draw is a
note instead of an empty frame.
"""

from __future__ import annotations

import html
import math
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

import plotly.graph_objects as go

FAILED_RED = "#d62728"
WARNING_AMBER = "#ff9f1c"
PASSED_GREEN = "#2ca02c"
SILO_COLOURS = {"finance": "#1f77b4", "web": "#9467bd", "store": "#8c564b",
                "contact_center": "#17becf", "privacy": "#7f7f7f"}
# Colours for series without their own (new silos, segments, product lines): chosen by name, so
# a series keeps its colour from report to report; none of them is the failures' red.
PALETTE = ("#1f77b4", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#e377c2", "#7f7f7f", "#393b79")


def colour(name: str) -> str:
    return SILO_COLOURS.get(name) or PALETTE[zlib.crc32(name.encode()) % len(PALETTE)]


def note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def figure(fig: go.Figure, title: str, x_title: str, y_title: str,
           nights: Sequence[date] | None = None, height: int = 340) -> str:
    """`fig` as a div; with `nights`, its x axis shows exactly those nights in order, gaps included."""
    fig.update_layout(title=title, height=height, margin={"t": 50, "b": 50, "l": 70, "r": 20},
                      template="plotly_white", barmode=fig.layout.barmode or "group")
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
    if nights is not None:
        # Every night on the axis, in order, also those a series has no value for (a gap).
        columns = [str(night) for night in nights]
        for trace in fig.data:
            if trace.type in ("bar", "scatter"):
                by_night = dict(zip(trace.x, trace.y, strict=True))
                trace.x, trace.y = columns, [by_night.get(column) for column in columns]
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=columns)
    return fig.to_html(full_html=False, include_plotlyjs=False)


def by_series(points: Iterable[tuple[object, str, float]]) -> dict[str, tuple[list, list]]:
    """(x, series, y) points as series -> (xs, ys), for one trace per series."""
    series: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for x, name, y in points:
        series[name][0].append(str(x) if isinstance(x, date) else x)
        series[name][1].append(y)
    return dict(series)


def nightly_bars(points: Iterable[tuple[date, str, float]], title: str, y_title: str,
                 nights: Sequence[date], colours: dict[str, str] | None = None,
                 stacked: bool = False, log: bool = False) -> str:
    """Bars per night and series; a note when there is nothing to draw."""
    series = by_series(points)
    if not series:
        return note(f"{title}: nothing to show yet")
    fig = go.Figure([go.Bar(x=xs, y=ys, name=name, marker_color=(colours or {}).get(name) or colour(name))
                     for name, (xs, ys) in series.items()])
    fig.update_layout(barmode="stack" if stacked else "group")
    if log:
        log_scale(fig, [y for _, ys in series.values() for y in ys])
    return figure(fig, title, "business date", y_title, nights)


def log_scale(fig: go.Figure, values: Iterable[float]) -> None:
    """A log y axis from 1, so small silos stay visible beside large ones and every bar starts at 1."""
    top = max((v for v in values if v), default=1)
    fig.update_yaxes(type="log", range=[0, math.log10(max(top, 10)) * 1.05])

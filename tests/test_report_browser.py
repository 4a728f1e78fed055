"""The run report as a browser draws it: Debian's chromium, headless, on the report of tests/test_report.py.

Checked from what the browser produced, not from the HTML we wrote: the DOM
after plotly ran (every chart holds an SVG with its traces drawn) and the
screenshot's pixels (the banner in the verdict's colour at the top, the
traces' colours in the chart areas). A page whose plotly.js is missing must
be caught. Without chromium these tests are skipped; CI installs it (.ci/run).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from c360.local.report.charts import FAILED_RED, PASSED_GREEN, SILO_COLOURS
from c360.local.report.page import PLOTLY_JS, VERDICT_COLOURS, write_report
from tests.test_report import CONTEXT
from tests.test_report import facts as report_facts  # noqa: F401 (the fixture)

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is absent here; CI installs it (.ci/run)")
WIDTH, HEIGHT = 1280, 6000
# Screenshots at half scale: a quarter of the pixels to decode, bars and banner still solid colour.
SCALE = 0.5
# The virtual time budget is long enough for plotly to draw every chart.
BROWSER = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--window-size={WIDTH},{HEIGHT}", f"--force-device-scale-factor={SCALE}",
           "--virtual-time-budget=15000"]


def browse(page: Path, *args: str) -> str:
    result = subprocess.run([*BROWSER, *args, page.as_uri()], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def charts_in(dom: str) -> dict[str, str]:
    """Each chart div's id -> the DOM from it to the next chart."""
    parts = re.split(r'<div id="([^"]+)" class="plotly-graph-div', dom)[1:]
    return dict(zip(parts[::2], parts[1::2], strict=True))


def undrawn_charts(dom: str) -> list[str]:
    """The ids of the chart divs in `dom` where plotly drew no SVG with a trace in it."""
    return [chart_id for chart_id, content in charts_in(dom).items()
            if 'class="main-svg"' not in content or not re.search(r'class="(trace|hm)\b', content)]


def pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit, non-interlaced PNG (what chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data, header = 8, b"", None
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        chunk = png[position + 8:position + 8 + length]
        header = chunk if kind == b"IHDR" else header
        data += chunk if kind == b"IDAT" else b""
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, colour_type in (2, 6), interlace) == (8, True, 0), "an unexpected PNG from chromium"
    size = 4 if colour_type == 6 else 3
    raw, stride, rows, previous = zlib.decompress(data), width * size, [], bytearray(width * size)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                nearest = min((abs(guess - left), 0, left), (abs(guess - up), 1, up),
                              (abs(guess - corner), 2, corner))[2]
                line[i] = (line[i] + nearest) & 0xFF
        rows.append(bytes(line[j:j + 3]) for j in range(0, stride, size))
        rows[-1] = b"".join(rows[-1])
        previous = line
    return width, height, rows


def rgb(hex_colour: str) -> bytes:
    return bytes.fromhex(hex_colour.lstrip("#"))


@pytest.fixture
def report(report_facts, tmp_path) -> Path:  # noqa: F811 (the fixture imported above)
    return write_report(report_facts, tmp_path / "reports", CONTEXT, kept=1)


def test_chromium_draws_every_chart(report):
    dom = browse(report, "--dump-dom")
    written = re.findall(r'<div id="([^"]+)" class="plotly-graph-div', report.read_text())
    assert len(written) >= 8 and list(charts_in(dom)) == written
    assert undrawn_charts(dom) == []


def test_a_report_without_plotly_is_caught(report):
    (report.parent / PLOTLY_JS).unlink()
    dom = browse(report, "--dump-dom")
    assert len(undrawn_charts(dom)) == len(re.findall(r'class="plotly-graph-div', report.read_text()))


def test_the_screenshot_shows_the_verdict_on_top_and_the_charts(report, tmp_path):
    shot = tmp_path / "report.png"
    browse(report, f"--screenshot={shot}")
    width, height, rows = pixels(shot.read_bytes())
    assert (width, height) == (WIDTH * SCALE, HEIGHT * SCALE)
    # The top band's commonest colour is the verdict's: red, as a DAG run of the last night failed.
    band = Counter(rows[y][x * 3:x * 3 + 3] for y in range(0, 15) for x in range(100, width - 100))
    assert band.most_common(1)[0][0] == rgb(VERDICT_COLOURS["red"])
    # Each chart's traces: the silos' bars, the failed run's red and the passed checks' green.
    counts = Counter(row[x * 3:x * 3 + 3] for row in rows[50:] for x in range(width))
    for trace in (SILO_COLOURS["finance"], SILO_COLOURS["web"], FAILED_RED, PASSED_GREEN):
        assert counts[rgb(trace)] > 200, f"no chart drew {trace}"

"""Match quality night after night: the warehouse keeps only tonight's clusters, so runs remember theirs.

Every report records the last night's golden customers, the source records they
merge and, when a truth file exists, pairwise precision and recall, in
`match-history.jsonl` beside the reports (one line per night, a later run of a
night replacing the earlier's). The report charts them over the nights.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from c360.local.report.facts import RunFacts

HISTORY_FILE = "match-history.jsonl"


@dataclass(frozen=True)
class MatchNight:
    night: date
    golden_customers: int
    source_records: int
    precision: float | None = None
    recall: float | None = None

    @property
    def merged(self) -> int:
        """Source records folded into another record's customer."""
        return self.source_records - self.golden_customers


def read_history(reports_dir: Path) -> list[MatchNight]:
    path = reports_dir / HISTORY_FILE
    if not path.is_file():
        return []
    nights: dict[date, MatchNight] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            entry = json.loads(line)
            night = date.fromisoformat(entry["night"])
            nights[night] = MatchNight(night, int(entry["golden_customers"]), int(entry["source_records"]),
                                       entry.get("precision"), entry.get("recall"))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}, line {number}: not a night of match history ({exc}); "
                             f"delete the file to start the history again: {line[:200]}") from exc
    return [nights[night] for night in sorted(nights)]


def remember_match(reports_dir: Path, facts: RunFacts) -> list[MatchNight]:
    """Add the last night's match figures to the history (when it has a night and clusters); all nights."""
    nights = {entry.night: entry for entry in read_history(reports_dir)}
    if facts.nights and facts.cluster_sizes:
        night = facts.nights[-1]
        nights[night] = MatchNight(night, facts.golden_customers, facts.source_records,
                                   *((facts.match.precision, facts.match.recall) if facts.match else ()))
        reports_dir.mkdir(parents=True, exist_ok=True)
        (reports_dir / HISTORY_FILE).write_text("".join(
            json.dumps({**asdict(entry), "night": entry.night.isoformat()}) + "\n"
            for _, entry in sorted(nights.items())), encoding="utf-8")
    return [entry for _, entry in sorted(nights.items())]

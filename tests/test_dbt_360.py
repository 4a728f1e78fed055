"""Customer 360 and segments: the declared segments file, read the way dbt and the gate read it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from c360.config import ConfigError
from c360.segments import SEGMENTS_MODEL, Segment, load_segments, segments_file

REQUIRED_SEGMENTS = {
    "high_value_at_risk", "researches_online_buys_offline", "open_service_issue",
    "engaged_prospect", "lapsed", "new_customer",
}


def test_shipped_segments_file_declares_the_required_segments():
    segments = load_segments()
    assert {s.name for s in segments} >= REQUIRED_SEGMENTS
    service = next(s for s in segments if s.name == "open_service_issue")
    assert service.requires_marketing_consent is False
    assert all(s.requires_marketing_consent for s in segments if s.name != "open_service_issue")
    assert all(s.owner and s.description and s.rule for s in segments)


def write_segments(tmp_path: Path, entries: object) -> Path:
    path = tmp_path / "segments.yml"
    model = {"name": SEGMENTS_MODEL, "config": {"meta": {"segments": entries}}}
    path.write_text(yaml.safe_dump({"version": 2, "models": [model]}))
    return path


GOOD = {
    "name": "vip", "description": "Big  spenders.", "owner": "Marketing",
    "rule": "total_revenue\n  > 1000", "requires_marketing_consent": True,
}


def test_a_declared_segment_is_read_with_whitespace_folded(tmp_path):
    assert load_segments(write_segments(tmp_path, [GOOD])) == [
        Segment("vip", "Big spenders.", "Marketing", "total_revenue > 1000", True)
    ]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "needs a non-empty list"),
        ([{**GOOD, "requires_marketing_consent": "yes"}], "must be true or false"),
        ([{k: v for k, v in GOOD.items() if k != "owner"}], "missing fields ['owner']"),
        ([{**GOOD, "requires_consent": True}], "unknown fields ['requires_consent']"),
        ([{**GOOD, "name": "High Value"}], "lower_snake_case"),
        ([{**GOOD, "rule": "true; drop table x"}], "may not contain `;`"),
        ([{**GOOD, "rule": " "}], "`rule` must be non-empty text"),
        ([GOOD, GOOD], "repeated: ['vip']"),
        (["vip"], "expected the fields"),
    ],
)
def test_a_bad_declaration_is_refused_with_the_reason(tmp_path, entries, message):
    with pytest.raises(ConfigError, match="segments file") as error:
        load_segments(write_segments(tmp_path, entries))
    assert message in str(error.value)


def test_a_missing_or_broken_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_segments(tmp_path / "absent.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("models: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_segments(broken)
    other = tmp_path / "other.yml"
    other.write_text(yaml.safe_dump({"models": [{"name": "dim_customer"}]}))
    with pytest.raises(ConfigError, match=f"no model `{SEGMENTS_MODEL}`"):
        load_segments(other)


def test_the_segments_file_is_the_one_in_the_dbt_project():
    assert segments_file().parts[-4:] == ("models", "marts", "segments", "segments.yml")

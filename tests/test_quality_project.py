"""The committed GX project, the thresholds file and the masking of evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from c360.config import ConfigError, load_settings
from c360.privacy.personal_data import mask, shown
from c360.quality.declare import declare_project
from c360.quality.suites import all_checks
from c360.quality.thresholds import load_thresholds, thresholds_file

COMMITTED_FOLDERS = ("expectations", "validation_definitions", "checkpoints")


def without_ids(value: Any) -> Any:
    """GX gives every object a new id when it is declared; the content is what must match."""
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


def project_content(gx_dir: Path) -> dict[str, Any]:
    content: dict[str, Any] = {
        f"{folder}/{path.name}": without_ids(json.loads(path.read_text()))
        for folder in COMMITTED_FOLDERS
        for path in sorted((gx_dir / folder).glob("*.json"))
    }
    config = yaml.safe_load((gx_dir / "great_expectations.yml").read_text())
    content["great_expectations.yml"] = without_ids(config["fluent_datasources"])
    return content


def test_the_committed_project_is_what_the_code_declares(c360_env, tmp_path):
    committed = load_settings().expectations_dir
    copy = tmp_path / "expectations"
    shutil.copytree(committed, copy, ignore=shutil.ignore_patterns("uncommitted"))
    declare_project(copy)
    declared, kept = project_content(copy / "gx"), project_content(committed / "gx")
    changed = sorted(k for k in declared.keys() | kept.keys() if declared.get(k) != kept.get(k))
    assert not changed, (
        f"expectations/ differs from the code in {changed}: run `python -m c360.quality.declare` "
        "and commit expectations/"
    )


def test_the_committed_config_holds_no_connection_secret():
    config = (load_settings().expectations_dir / "gx" / "great_expectations.yml").read_text()
    datasource = yaml.safe_load(config)["fluent_datasources"]["warehouse"]
    assert datasource["connection_string"] == "${C360_GX_WAREHOUSE_URL}"
    assert "password" not in config.lower()


def test_every_check_has_an_owner_of_the_owners_file():
    from c360.quality.owners import load_owners, owner_key

    owners = load_owners()
    checks = all_checks(load_thresholds())
    assert len({c.name for c in checks}) == len(checks), "two checks share a name"
    assert {owner_key(c.owner) for c in checks} <= owners.keys()
    assert {owner_key(c.owner) for c in checks} == set(owners), "an owner has no check"


def test_masking_keeps_the_shape_and_hides_the_content():
    assert mask("jan.jansen@example.nl") == "j**.j*****@e******.n*"
    assert mask("+31 6 1234 5678") == "+3* 6 1*** 5***"
    assert shown("caller_email", "a@b.nl") == "a@b.n*"
    assert shown("channel", "fax") == "fax"  # not personal: shown as it is


def test_a_thresholds_file_without_a_value_says_which(tmp_path, monkeypatch):
    broken = tmp_path / "quality.yml"
    data = yaml.safe_load(thresholds_file().read_text())
    del data["segment_drift"]["min_ratio"]
    broken.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("C360_QUALITY_FILE", str(broken))
    with pytest.raises(ConfigError, match="segment_drift.min_ratio"):
        load_thresholds()


def test_a_runaway_merge_bound_without_its_share_says_which(tmp_path, monkeypatch):
    broken = tmp_path / "quality.yml"
    data = yaml.safe_load(thresholds_file().read_text())
    del data["golden_record"]["loyalty_cards"]["max_share"]
    broken.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("C360_QUALITY_FILE", str(broken))
    with pytest.raises(ConfigError, match="golden_record.loyalty_cards"):
        load_thresholds()

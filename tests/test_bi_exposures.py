"""Every relation BI reads (PUBLISHED_TABLES) is declared as a dbt exposure, in whatever
yml file of the dbt project its engineer put it: who reads it and who answers for it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from c360.orchestration.publishing import PUBLISHED_TABLES

PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
REF = re.compile(r"""ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)""")


def exposed_models(project: Path) -> set[str]:
    """The models any exposure of the project's yml files depends on."""
    exposed = set()
    for path in sorted(project.glob("models/**/*.yml")):
        for exposure in (yaml.safe_load(path.read_text()) or {}).get("exposures") or []:
            exposed |= {m for dep in exposure.get("depends_on") or [] for m in REF.findall(dep)}
    return exposed


def without_exposure(project: Path, published: tuple[str, ...]) -> list[str]:
    exposed = exposed_models(project)
    return [table for table in published if table not in exposed]


def test_every_published_relation_has_an_exposure():
    missing = without_exposure(PROJECT, PUBLISHED_TABLES)
    assert missing == [], f"published without an exposure in dbt_project/models/**/*.yml: {missing}"


def test_a_published_relation_without_exposure_is_named(tmp_path):
    (tmp_path / "models" / "marts").mkdir(parents=True)
    (tmp_path / "models" / "marts" / "_x.yml").write_text(
        "version: 2\nexposures:\n  - name: a\n    depends_on: [\"ref('fct_a')\", ref(\"dim_b\")]\n")
    (tmp_path / "models" / "empty.yml").write_text("")
    assert without_exposure(tmp_path, ("fct_a", "dim_b", "fct_c")) == ["fct_c"]

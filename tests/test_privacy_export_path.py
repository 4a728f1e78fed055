"""An access export's file stays in the export folder, whatever its name says."""

from __future__ import annotations

import pytest

from c360.config import load_settings
from c360.privacy.export import ExportError, export_path


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("C360_PRIVACY_EXPORT_DIR", str(tmp_path / "exports"))
    return load_settings()


def test_a_plain_name_lands_in_the_export_folder(settings, tmp_path):
    assert export_path(settings, "PR-20261121-3") == (tmp_path / "exports" / "PR-20261121-3.json").resolve()


@pytest.mark.parametrize("name", ["../../../../../../tmp/x", "../x", "sub/x", "/tmp/x"])
def test_a_name_that_leaves_the_folder_is_refused(settings, tmp_path, name):
    with pytest.raises(ExportError, match="outside .*exports: a request id must be a plain identifier"):
        export_path(settings, name)
    assert not (tmp_path / "x.json").exists()

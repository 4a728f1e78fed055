"""The secret of the suppression list's keyed hashes: where it comes from, and the errors when it cannot."""

from __future__ import annotations

import pytest

from c360.config import ConfigError, load_settings
from c360.privacy.keys import privacy_key


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("C360_PRIVACY_KEY", "C360_PRIVACY_KEY_FILE", "C360_WAREHOUSE_DSN", "C360_PG_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("C360_HOME", str(tmp_path / "home"))
    return monkeypatch


def test_the_environment_wins(clean_env):
    clean_env.setenv("C360_PRIVACY_KEY", "from-the-environment-0123")
    assert privacy_key(load_settings()) == "from-the-environment-0123"


def test_a_key_file(clean_env, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("a-secret-from-a-file-0123\n")
    clean_env.setenv("C360_PRIVACY_KEY_FILE", str(key_file))
    assert privacy_key(load_settings()) == "a-secret-from-a-file-0123"


def test_embedded_default_generates_one_private_key_and_keeps_it(clean_env):
    settings = load_settings()
    first = privacy_key(settings)
    generated = settings.pg_dir / "privacy_key"
    assert generated.stat().st_mode & 0o777 == 0o600
    assert len(first) == 64 and privacy_key(load_settings()) == first


def test_external_warehouse_needs_a_key(clean_env):
    clean_env.setenv("C360_WAREHOUSE_DSN", "postgresql://c360@db.example.org/warehouse")
    with pytest.raises(ConfigError, match="C360_PRIVACY_KEY nor C360_PRIVACY_KEY_FILE"):
        privacy_key(load_settings())


def test_unreadable_or_short_key_file(clean_env, tmp_path):
    clean_env.setenv("C360_PRIVACY_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot read the privacy key file"):
        privacy_key(load_settings())
    short = tmp_path / "short"
    short.write_text("abc")
    clean_env.setenv("C360_PRIVACY_KEY_FILE", str(short))
    with pytest.raises(ConfigError, match="too short"):
        privacy_key(load_settings())

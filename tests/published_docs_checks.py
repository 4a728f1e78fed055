"""dbt's descriptions reach BI as the published tables' comments, on the warehouse
tests/test_dbt_360.py builds (its `built` fixture), so they cost a publish, not a build.
test_dbt_360 imports these tests.

This is also the check that no published column lacks a description: a model added to
PUBLISHED_TABLES without one fails here, in CI, rather than blocking a night's publish
over documentation.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from psycopg import sql

from c360.orchestration.publishing import PUBLISHED_TABLES
from c360.publishing.publish import publish

COMMENTS = """
    select c.relname, a.attname, coalesce(col_description(c.oid, a.attnum), ''),
           coalesce(obj_description(c.oid, 'pg_class'), '')
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where n.nspname = %s and c.relname = any(%s)
"""


def published_comments(dsn: str, schema: str = "published") -> dict[str, dict[str, str]]:
    """{table: {'': the table's comment, column: its comment}} of the published tables."""
    found: dict[str, dict[str, str]] = {}
    with psycopg.connect(dsn) as conn:
        for table, column, comment, relation in conn.execute(COMMENTS, (schema, list(PUBLISHED_TABLES))):
            found.setdefault(table, {"": relation})[column] = comment
    return found


def dbt_descriptions(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The same shape from the manifest of the build that made the candidates."""
    manifest = json.loads((Path(env["DBT_TARGET_PATH"]) / "manifest.json").read_text())
    models = {node["name"]: node for node in manifest["nodes"].values()
              if node["resource_type"] == "model" and node["name"] in PUBLISHED_TABLES}
    return {name: {"": node["description"], **{c: col["description"] for c, col in node["columns"].items()}}
            for name, node in models.items()}


def test_every_published_column_carries_dbts_description_and_a_changed_one_follows(built):
    dsn = built["dsn"]
    publish(dsn, PUBLISHED_TABLES, "marts")
    published, described = published_comments(dsn), dbt_descriptions(built["env"])
    assert set(published) == set(PUBLISHED_TABLES)
    undocumented = [f"{table}.{column or '(table)'}" for table, comments in published.items()
                    for column, comment in comments.items() if not comment.strip()]
    assert not undocumented, f"published without a description in the models' yml: {undocumented}"
    for table, comments in published.items():
        assert comments == {c: described[table].get(c) for c in comments}, table

    # a description changed since the last night reaches BI with the next publish
    with psycopg.connect(dsn) as conn:
        conn.execute("comment on column marts.dim_channel.channel is 'changed tonight'")
        conn.execute("comment on table marts.dim_channel is 'changed too'")
    try:
        publish(dsn, ["dim_channel"], "marts")
        changed = published_comments(dsn)["dim_channel"]
        assert (changed["channel"], changed[""]) == ("changed tonight", "changed too")
    finally:
        original = described["dim_channel"]
        with psycopg.connect(dsn) as conn:  # COMMENT takes no bound parameters
            conn.execute(sql.SQL("comment on column marts.dim_channel.channel is {}").format(
                sql.Literal(original["channel"])))
            conn.execute(sql.SQL("comment on table marts.dim_channel is {}").format(
                sql.Literal(original[""])))

"""`c360 evaluate`: pairwise precision and recall by cluster-size arithmetic,
coverage both ways, samples with evidence, and clear failures on bad truth files.

The warehouse side is a small hand-made customer_xref (and the identity tables
the samples read) in a real PostgreSQL database, so every figure below can be
checked by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from c360.local.evaluation.pairs import TruthFileError, evaluate, read_truth

C360 = str(Path(sys.executable).with_name("c360"))

# truth: P1 = a, b, c; P2 = d, e; P3 = f; g is not in the xref
TRUTH = """source_system,source_key,person_id
web,a,P1
web,b,P1
web,c,P1
web,d,P2
web,e,P2
web,f,P3
web,g,P4
"""
# resolved: C1 = a, b; C2 = c; C3 = d, e, f (f wrongly); h is not in the truth
XREF = [("C1", "a"), ("C1", "b"), ("C2", "c"), ("C3", "d"), ("C3", "e"), ("C3", "f"), ("C4", "h")]


@pytest.fixture
def warehouse(warehouse_dsn: str) -> str:
    with psycopg.connect(warehouse_dsn) as conn:
        conn.execute("""
            create schema marts;
            create schema intermediate;
            create table marts.customer_xref (
                customer_id text, source_system text, source_key text, resolution text);
            create table intermediate.int_identity__records (
                record_id text, given_name text, surname_prefix text, surname text);
            create table intermediate.int_identity__links (record_a text, record_b text, rule text);
            create table intermediate.int_identity__pair_scores (
                record_a text, record_b text, score int, given_name_agreement text,
                surname_agreement text, birth_date_agreement text, address_agreement text,
                same_email boolean, same_phone boolean, email_is_shared boolean,
                phone_is_shared boolean, is_contradiction boolean, blocks text);
        """)
        for customer, key in XREF:
            conn.execute(
                "insert into marts.customer_xref values (%s, 'web', %s, 'linked')", (customer, key)
            )
            conn.execute(
                "insert into intermediate.int_identity__records values (%s, 'Jan', null, 'Smit')",
                (f"web:{key}",),
            )
        conn.execute("insert into intermediate.int_identity__links values ('web:d', 'web:f', 'phone')")
        conn.execute(
            "insert into intermediate.int_identity__pair_scores values "
            "('web:d', 'web:f', 6, 'same', 'same', null, null, false, true, false, false, false, "
            "'key'), "
            "('web:a', 'web:c', 6, 'same', 'same', null, 'different', false, false, false, false, "
            "false, 'name')"
        )
    return warehouse_dsn


@pytest.fixture
def truth_file(tmp_path: Path) -> Path:
    path = tmp_path / "identities.csv"
    path.write_text(TRUTH)
    return path


def test_pairwise_figures_from_cluster_sizes(warehouse, truth_file):
    result = evaluate(warehouse, truth_file)
    # true pairs: P1 3 + P2 1 = 4; predicted: C1 1 + C3 3 = 4; both: a-b and d-e
    assert (result.true_pairs, result.predicted_pairs, result.true_positive_pairs) == (4, 4, 2)
    assert result.precision == pytest.approx(0.5)
    assert result.recall == pytest.approx(0.5)
    assert result.f1 == pytest.approx(0.5)
    assert (result.largest_cluster, result.largest_cluster_customer_id) == (3, "C3")
    assert result.truth_records_missing_from_xref == 1  # g
    assert result.xref_records_missing_from_truth == 1  # h
    assert result.customers_merging_several_persons == 1  # C3
    assert result.persons_split_over_several_customers == 1  # P1


def test_samples_carry_the_evidence(warehouse, truth_file):
    result = evaluate(warehouse, truth_file)
    [merge] = result.false_merges
    assert {merge["record_1"], merge["record_2"]} in ({"web:d", "web:f"}, {"web:e", "web:f"})
    [missed] = result.missed_links
    assert {missed["record_1"], missed["record_2"]} in ({"web:a", "web:c"}, {"web:b", "web:c"})
    if merge["record_1"] == "web:d":
        assert merge["rule"] == "phone" and merge["same_phone"] is True


def test_cli_json_and_table(warehouse, truth_file):
    env = {**os.environ, "C360_WAREHOUSE_DSN": warehouse}
    out = subprocess.run([C360, "evaluate", "--truth", str(truth_file), "--json"], env=env,
                         capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout)
    assert figures["precision"] == pytest.approx(0.5) and figures["largest_cluster"] == 3
    table = subprocess.run([C360, "evaluate", "--truth", str(truth_file)], env=env,
                           capture_output=True, text=True, check=True)
    assert "pairwise precision" in table.stdout and "false merges" in table.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("source_system,source_key\nweb,a\n", "header must be"),
        ("source_system,source_key,person_id\nweb,a\n", "line 2"),
        ("source_system,source_key,person_id\nweb,a,P1\nweb,a,P2\n", "repeated"),
        ("source_system,source_key,person_id\nweb,,P1\n", "non-empty"),
        ("", "empty file"),
    ],
)
def test_malformed_truth_is_refused(tmp_path, warehouse_dsn, content, message):
    path = tmp_path / "truth.csv"
    path.write_text(content)
    with pytest.raises(TruthFileError, match=message):
        read_truth(path)
    env = {**os.environ, "C360_WAREHOUSE_DSN": warehouse_dsn}
    result = subprocess.run([C360, "evaluate", "--truth", str(path)], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert message in " ".join(result.stderr.split())


def test_missing_xref_is_explained(tmp_path, warehouse_dsn, truth_file):
    env = {**os.environ, "C360_WAREHOUSE_DSN": warehouse_dsn}
    result = subprocess.run([C360, "evaluate", "--truth", str(truth_file)], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "c360 dbt build" in " ".join(result.stderr.split())

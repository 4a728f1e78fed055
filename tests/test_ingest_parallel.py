"""A large delivery parsed by worker processes loads exactly as the loading process alone
loads it: rows, line numbers, refusals, ledger; and no worker outlives the load."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from c360.ingest import delimited, ledger, parallel, web
from c360.ingest.contract_files import file_silo
from tests.ingest_helpers import DAY, quarantine, raw_snapshot, write_jsonl_gz
from tests.ingest_helpers import ledger as ledger_rows

contact_center = file_silo("contact_center")
HEADER = ";".join(contact_center.dataset("interactions").columns)
RAW = "raw_contact_center.interactions"


def record(n: int, name: str = "Jansen, Piet", csat: str = "4") -> str:
    return (f"CC-20261121-{n:06d};21-11-2026 09:15:00;phone;inbound;fa0012345;{name};"
            f"06-12345678;;billing;240;31;Y;N;{csat};AG-07")


def tricky_export() -> str:
    """Records that span lines, blank lines, refused values, a malformed record whose stray
    quote leaves an odd number of quotes, in CR LF, LF and CR line ends."""
    lines = [HEADER]
    for n in range(1, 120):
        if n % 7 == 0:
            lines.append(record(n, name='"Berg;\r\nAnna ""AB""\nvan den"'))
        elif n % 11 == 0:
            lines.append("")
        elif n % 13 == 0:
            lines.append(record(n, csat="x"))
        elif n == 60:
            lines.append(record(n, name='Jansen "Piet'))
        elif n == 61:
            lines.append(record(n, name='"unclosed, the rest of this part'))
        else:
            lines.append(record(n))
    return "\ufeff" + "\r\n".join(lines[:50]) + "\n" + "\n".join(lines[50:100]) + "\r" + \
        "\r".join(lines[100:]) + "\r\n"


def load_both_ways(new_database, landing: Path, load, monkeypatch, part_characters: int):
    """(raw rows, quarantine, ledger) of the delivery loaded in one process, then by workers."""
    seen = []
    for workers in (False, True):
        dsn = new_database("warehouse")
        with monkeypatch.context() as patch:
            if workers:
                patch.setattr(parallel, "PARALLEL_FROM_BYTES", 0)
                patch.setattr(delimited, "PART_CHARACTERS", part_characters)
            load(dsn, landing)
        silo = landing.iterdir().__next__().name
        table = RAW if silo == "contact_center" else web.RAW_TABLE
        seen.append(([row[1:] for row in raw_snapshot(dsn, table)],  # all but _batch_id
                     quarantine(dsn, silo), ledger_rows(dsn, silo)))
    assert not multiprocessing.active_children()
    return seen


@pytest.mark.parametrize("part_characters", [1, 200, 2_000, 1 << 20])
def test_parts_of_a_delimited_file_load_as_the_whole_file(new_database, tmp_path, monkeypatch,
                                                          part_characters):
    path = tmp_path / "contact_center" / DAY.isoformat() / "interactions.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(tricky_export().encode())
    one, workers = load_both_ways(new_database, tmp_path, lambda dsn, landing:
                                  contact_center.load_business_date(dsn, landing, DAY),
                                  monkeypatch, part_characters)
    assert workers == one
    rows, refused, files = one
    assert len(rows) > 90 and {reason.split(":")[0] for *_, reason in refused} >= {
        "csat", "malformed CSV record"}
    assert [status for *_, status in files] == ["loaded"]


def test_web_files_parsed_by_workers_load_as_in_one_process(new_database, tmp_path, monkeypatch):
    folder = tmp_path / "web" / DAY.isoformat()
    event = {"event_id": "00000000-0000-0000-0000-000000000001", "event_type": "page_view",
             "occurred_at": "2026-11-21T09:14:03.123Z", "properties": {"price": 1.50}}
    write_jsonl_gz(folder / "events-00.jsonl.gz", [event, {**event, "event_type": ""}, b"{"])
    write_jsonl_gz(folder / "events-01.jsonl.gz", [event, {**event, "event_id": "7"}])
    (folder / "events-02.jsonl.gz").write_bytes(b"not gzip")
    one, workers = load_both_ways(new_database, tmp_path, lambda dsn, landing:
                                  web.load_business_date(dsn, landing, DAY), monkeypatch, 1)
    assert workers == one
    assert [(f[-2], f[-1]) for f in one[2]] == [(0, "loaded"), (1, "loaded"), (0, "quarantined")]


def test_a_load_that_fails_rolls_back_and_leaves_no_worker(warehouse_dsn, tmp_path, monkeypatch):
    path = tmp_path / "contact_center" / DAY.isoformat() / "interactions.csv"
    path.parent.mkdir(parents=True)
    path.write_text(HEADER + "\n" + "\n".join(record(n) for n in range(1, 500)) + "\n")
    monkeypatch.setattr(parallel, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(delimited, "PART_CHARACTERS", 1_000)

    def fail(*args):
        raise RuntimeError("the ledger is gone")

    monkeypatch.setattr(ledger, "record", fail)
    with pytest.raises(RuntimeError, match="the ledger is gone"):
        contact_center.load_business_date(warehouse_dsn, tmp_path, DAY)
    assert not multiprocessing.active_children()
    assert ledger_rows(warehouse_dsn, "contact_center") == []


def test_the_workers_of_a_killed_load_exit(warehouse_dsn, tmp_path):
    script = tmp_path / "load.py"
    script.write_text(textwrap.dedent(f"""
        import multiprocessing, os, time
        from c360.ingest import parallel
        with parallel.worker_pool({warehouse_dsn!r}, parallel.PARALLEL_FROM_BYTES) as pool:
            pool.submit(os.getpid).result()
            print(*(worker.pid for worker in multiprocessing.active_children()), flush=True)
            time.sleep(60)
    """))
    load = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    workers = {int(pid) for pid in load.stdout.readline().split()}
    assert workers and load.pid not in workers
    load.kill()
    load.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(map(_running, workers)):
        time.sleep(0.1)
    assert not any(map(_running, workers))


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; its new parent may not reap it

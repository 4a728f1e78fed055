"""Ingest benchmark: one large business date, loaded by the c360 loaders, beside plain COPY.

Writes one day of files with its own fast generator (web events over 24 hourly
gzip files, POS lines over many store files, a contact center export) and a
billing database of accounts, starts a throwaway embedded PostgreSQL (fsync,
synchronous_commit and full_page_writes off unless --durable; the loaders and
the plain COPY share that cluster), loads the day with the real loaders and
prints rows/s per silo next to the rows/s of a plain COPY of the same rows into
an UNLOGGED table without indexes, and their ratio.

The machine may be busy, so every figure is measured --repeats times (5 by
default), each repeat in a fresh warehouse database, the loader and the plain
COPY of a silo one right after the other (in alternating order), each after the
server has settled (no autovacuum at work, a checkpoint made), and the medians
are printed: rows/s of each, and the median of the per-repeat ratios. It prints
figures; it is not a test. Run it with `make bench-ingest` or:

    .venv/bin/python benchmarks/bench_ingest.py --web-events 1000000 --pos-lines 1000000
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson
import psycopg
from psycopg import sql

from c360.ingest import finance, web
from c360.ingest.contract_files import file_silo
from c360.local.postgres import EmbeddedPostgres, free_port
from c360.local.simulator.finance_db import create_billing
from c360.warehouse.bootstrap import bootstrap

contact_center = file_silo("contact_center")
store = file_silo("store")
POS_LINES = store.dataset("pos_lines")
INTERACTIONS = contact_center.dataset("interactions")

DAY = date(2026, 11, 21)
SEED = 360
STORES = [f"{country}-{city}-{n:02d}" for country, city in
          (("NL", "AMS"), ("NL", "RTM"), ("NL", "UTR"), ("BE", "GNT"), ("BE", "ANT"))
          for n in range(1, 5)]
EVENT_TYPES = ["page_view"] * 12 + ["login", "newsletter_signup", "product_configured",
                                     "webinar_registration", "expert_chat", "order_completed"]
WEB_COLUMNS = ("event_id", "event_type", "occurred_at", "anonymous_id", "user_id", "session_id",
               "page_url", "referrer", "utm", "traits", "properties")
DUPLICATE_EVERY = 100  # one web event in this many repeats the one before
BAD_EVERY = 10_000  # one POS line in this many has an unparseable quantity
SETTLE_POLLS = 600  # of 0.1 s: at most a minute
SETTINGS = ("wal_level", "fsync", "synchronous_commit", "full_page_writes", "shared_buffers",
            "max_wal_size")


def _copy_field(value) -> str:
    """A value as a field of COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, dict):
        value = orjson.dumps(value).decode()
    return (value.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


# -- generators ---------------------------------------------------------------------------


def web_events(count: int, rng: random.Random) -> Iterator[dict]:
    start = datetime(2026, 11, 20, 23, 0)
    event_id = ""
    for n in range(count):
        ts = start + timedelta(seconds=n * 86_400 / count)
        visitor = rng.randrange(count // 8 + 1)
        if n % DUPLICATE_EVERY or not event_id:  # at least once: now and then one comes twice
            event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        event_type = EVENT_TYPES[n % len(EVENT_TYPES)]
        doc = {
            "event_id": event_id,
            "event_type": event_type,
            "occurred_at": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{n % 1000:03d}Z",
            "anonymous_id": f"anon-{visitor:08x}",
            "user_id": f"WU{visitor}" if visitor % 3 == 0 else None,
            "session_id": f"s-{visitor:08x}-{n // 50}",
            "page_url": f"https://www.example.nl/products/{n % 500}?ref=x",
            "referrer": "https://www.google.com/" if n % 4 == 0 else None,
            "utm": {"source": "google", "medium": "cpc", "campaign": "winter"} if n % 5 == 0
            else None,
        }
        if properties := event_properties(event_type, n):
            doc["properties"] = properties
        if n % 40 == 0:
            doc["traits"] = {"email": f"person{visitor}@example.nl", "first_name": "Anna"}
        yield doc


def event_properties(event_type: str, n: int) -> dict | None:
    """The properties the contract lists for the event type (contracts/web.yml), numbers included."""
    line = ("heat_pumps", "solar", "smart_home")[n % 3]
    return {
        "page_view": {"path": f"/products/{n % 500}", "title": "Warmtepomp"},
        "newsletter_signup": {"list": "weekly"},
        "product_configured": {"product_line": line, "configuration_id": f"CFG-{n}",
                               "price": round(500 + n % 12_000 + (n % 100) / 100, 2)},
        "webinar_registration": {"webinar_id": f"W-{n % 40}", "topic": "Zonnepanelen"},
        "expert_chat": {"topic": line, "duration_seconds": 60 + n % 1500},
        "order_completed": {"order_id": f"O-{n}", "revenue": round(20 + n % 1500 + 0.95, 2),
                            "currency": "EUR", "product_line": line},
    }.get(event_type)


def write_web_day(landing: Path, count: int, rng: random.Random) -> tuple[list[Path], str]:
    """24 hourly files, plus the same rows as COPY text for the baseline."""
    folder = landing / "web" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    per_hour = -(-count // 24)
    events = web_events(count, rng)
    files, copy_lines = [], []
    for hour in range(24):
        lines = []
        for _ in range(min(per_hour, count - hour * per_hour)):
            doc = next(events)
            lines.append(orjson.dumps(doc))
            copy_lines.append("\t".join(_copy_field(doc.get(c)) for c in WEB_COLUMNS))
        path = folder / f"events-{hour:02d}.jsonl.gz"
        path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1))
        files.append(path)
    return files, "\n".join(copy_lines) + "\n"


def write_pos_day(landing: Path, count: int, rng: random.Random) -> list[Path]:
    folder = landing / "store" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    header = ",".join(POS_LINES.columns) + "\n"
    per_store = -(-count // len(STORES))
    files = []
    for index, code in enumerate(STORES):
        lines = [header]
        for n in range(min(per_store, count - index * per_store)):
            card = f"87{rng.randrange(10**11):011d}" if n % 3 == 0 else ""
            lines.append(
                f"R{n // 3:07d},{n % 3 + 1},{code},2026-11-21 {9 + n % 11:02d}:{n % 60:02d}:"
                f"{n % 59:02d},SKU-{n % 997},heating,{'x' if n % BAD_EVERY == 7 else 1 + n % 4},"
                f"{n % 300}.95,0,{card},"
                f"{('cash', 'card', 'mobile', 'voucher')[n % 4]}\n"
            )
        path = folder / f"pos_{code}.csv"
        path.write_text("".join(lines))
        files.append(path)
    return files


def write_contact_center_day(landing: Path, count: int, rng: random.Random) -> list[Path]:
    folder = landing / "contact_center" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["\ufeff" + ";".join(INTERACTIONS.columns) + "\r\n"]
    for n in range(count):
        name = '"Berg; Anna ""AB"" van den"' if n % 50 == 0 else "Jansen, Piet"
        lines.append(
            f"CC-20261121-{n:07d};21-11-2026 {8 + n % 12:02d}:{n % 60:02d}:{n % 57:02d};"
            f"{('phone', 'chat', 'email')[n % 3]};inbound;FA{rng.randrange(10**7):07d};{name};"
            f"06-{rng.randrange(10**8):08d};;{('billing', 'complaint', 'other')[n % 3]};"
            f"{30 + n % 900};{n % 120};Y;N;{'' if n % 4 else 1 + n % 5};AG-{n % 80:02d}\r\n"
        )
    path = folder / "interactions.csv"
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return [path]


def billing_accounts_copy_text(count: int, rng: random.Random) -> str:
    """Billing accounts as COPY text, all updated during the business date."""
    lines = []
    for n in range(count):
        lines.append("\t".join((
            f"FA{n:07d}", "Anna" if n % 2 else "J.", f"van der Berg{n % 97}",
            f"person{n}@example.nl", f"06-{rng.randrange(10**8):08d}", "Dorpsstraat",
            f"{1 + n % 200}", f"{1000 + n % 9000} AB", "Utrecht", "NL",
            f"19{50 + n % 50}-0{1 + n % 9}-1{n % 10}", "active" if n % 20 else "closed",
            "2020-01-01 10:00:00+01", f"2026-11-21 {n % 24:02d}:{n % 60:02d}:00+01",
        )))
    return "\n".join(lines) + "\n"


# -- measuring ----------------------------------------------------------------------------


@dataclass
class Figure:
    """One silo's measurements over the repeats, in seconds."""

    silo: str
    rows: int
    loader_seconds: list[float] = field(default_factory=list)
    copy_seconds: list[float] = field(default_factory=list)  # plain COPY of the delivered rows
    floor_seconds: list[float] = field(default_factory=list)  # COPY into the raw layout
    # CPU seconds during the loader: its own process and workers', the cluster's
    loader_python_cpu: list[float] = field(default_factory=list)
    loader_server_cpu: list[float] = field(default_factory=list)
    copy_server_cpu: list[float] = field(default_factory=list)  # the cluster's, plain COPY

    def line(self) -> str:
        loader = self.rows / statistics.median(self.loader_seconds)
        plain = self.rows / statistics.median(self.copy_seconds)
        floor = self.rows / statistics.median(self.floor_seconds)
        ratio = statistics.median(c / lo for lo, c in zip(self.loader_seconds, self.copy_seconds,
                                                           strict=True))
        floor_ratio = statistics.median(f / lo for lo, f in zip(self.loader_seconds,
                                                                 self.floor_seconds, strict=True))
        spread = ", ".join(f"{c / lo:.2f}" for lo, c in zip(self.loader_seconds, self.copy_seconds,
                                                            strict=True))
        return (f"{self.silo:<16}{self.rows:>11,}{loader:>15,.0f}{plain:>15,.0f}"
                f"{ratio:>8.2f}{floor:>15,.0f}{floor_ratio:>8.2f}   {spread}")

    def cpu_line(self) -> str:
        seconds = statistics.median(self.loader_seconds)
        python = statistics.median(self.loader_python_cpu)
        server = statistics.median(self.loader_server_cpu)
        return (f"{self.silo:<16}{seconds:>10.2f}{python:>12.2f}{server:>12.2f}"
                f"{(python + server) / seconds:>12.2f}{python / server:>14.2f}"
                f"{statistics.median(self.copy_server_cpu):>14.2f}")


def python_cpu_seconds() -> float:
    """CPU seconds of this process and of its ended children (the loaders' workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def server_cpu_seconds(server: EmbeddedPostgres) -> float:
    """CPU seconds of the cluster: the postmaster's, its live children's and its ended
    children's (a backend ends with its connection), from /proc."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # from the state on
        except OSError:  # the process ended meanwhile
            continue
        if int(stat.parent.name) == postmaster:  # utime, stime, cutime, cstime
            ticks += sum(int(value) for value in fields[11:15])
        elif int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def settle(dsn: str) -> None:
    """Wait for the work that one measurement leaves the server (autovacuum analysing the
    new partitions, dirty buffers to write), so that it does not slow the next one."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(SETTLE_POLLS):
            if not conn.execute("select count(*) from pg_stat_activity "
                                "where backend_type = 'autovacuum worker'").fetchone()[0]:
                break
            time.sleep(0.1)
        conn.execute("checkpoint")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def plain_copy(dsn: str, like_table: str, columns: tuple[str, ...], chunks: Iterator[bytes],
               options: str) -> float:
    """Seconds to COPY the chunks into a fresh UNLOGGED table with the raw table's columns."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table if exists bench_plain")
        conn.execute(sql.SQL(
            "create unlogged table bench_plain as select {cols} from {raw} with no data"
        ).format(cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
                 raw=sql.Identifier(*like_table.split("."))))
        started = time.perf_counter()
        with conn.cursor().copy(sql.SQL("copy bench_plain from stdin {}").format(
                sql.SQL(options))) as copy:
            for chunk in chunks:
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        conn.execute("drop table bench_plain")
    return elapsed


def raw_layout_copy(dsn: str, raw_table: str) -> float:
    """Seconds to store the rows the loader wrote once more as the loader stores them: a
    COPY of every raw column but _loaded_at through a parent like the raw table (indexes
    included) into the date's partition, made in the same transaction. What PostgreSQL
    alone needs to store them."""
    table = sql.Identifier(*raw_table.split("."))
    with psycopg.connect(dsn, autocommit=True) as conn:
        columns = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = %s "
            "and table_name = %s and column_name <> '_loaded_at' order by ordinal_position",
            raw_table.split("."),
        )]
        cols = sql.SQL(", ").join(map(sql.Identifier, columns))
        data = bytearray()
        with conn.cursor().copy(sql.SQL("copy (select {} from {}) to stdout").format(
                cols, table)) as out:
            for block in out:
                data += block
        conn.execute("drop table if exists bench_floor_parent")
        started = time.perf_counter()
        with conn.transaction():
            conn.execute(sql.SQL("create table bench_floor_parent (like {} including all) "
                                 "partition by list (_business_date)").format(table))
            conn.execute(sql.SQL("create table bench_floor partition of bench_floor_parent "
                                 "for values in ({})").format(sql.Literal(DAY)))
            with conn.cursor().copy(sql.SQL("copy bench_floor_parent ({}) from stdin")
                                    .format(cols)) as copy:
                for offset in range(0, len(data), 1 << 20):
                    copy.write(data[offset:offset + (1 << 20)])
        elapsed = time.perf_counter() - started
        conn.execute("drop table if exists bench_floor_parent")
    return elapsed


def csv_bodies(paths: list[Path], encoding: str = "utf-8") -> Iterator[bytes]:
    for path in paths:
        yield path.read_bytes().decode(encoding).removeprefix("\ufeff").encode()


def server_settings(dsn: str) -> str:
    """The settings that decide what a load costs; the loader and the plain COPY share them."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select name, setting, unit from pg_settings where name = any(%s) "
                            "order by name", (list(SETTINGS),)).fetchall()
    return ", ".join(f"{name}={setting}{'' if unit in (None, '') else ' ' + unit}"
                     for name, setting, unit in rows)


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--web-events", type=int, default=1_000_000)
    parser.add_argument("--pos-lines", type=int, default=1_000_000)
    parser.add_argument("--contact-center-rows", type=int, default=200_000)
    parser.add_argument("--finance-accounts", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--durable", action="store_true",
                        help="keep fsync, synchronous_commit and full_page_writes on")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="c360-bench-ingest-"))
    work.chmod(0o755)  # the postgres user must reach the cluster folder
    server = EmbeddedPostgres(root=work / "pg", port=free_port(), durable=args.durable)
    try:
        rng = random.Random(SEED)
        landing = work / "landing"
        print(f"generating one business date in {landing} ...", flush=True)
        web_files, web_copy_text = write_web_day(landing, args.web_events, rng)
        pos_files = write_pos_day(landing, args.pos_lines, rng)
        cc_files = write_contact_center_day(landing, args.contact_center_rows, rng)
        settings = "durable" if args.durable else "fsync, synchronous_commit, full_page_writes off"
        print(f"starting a throwaway PostgreSQL ({settings}) ...", flush=True)
        server.up(databases=("finance",))
        finance_dsn = server.dsn("finance")
        accounts_text = billing_accounts_copy_text(args.finance_accounts, rng).encode()
        with psycopg.connect(finance_dsn) as conn:
            create_billing(conn)
            with conn.cursor().copy("copy billing.accounts from stdin") as copy:
                copy.write(accounts_text)
        account_columns = tuple(name for name, _ in finance.TABLES[0].columns)
        web_copy_bytes = web_copy_text.encode()

        silos = {  # silo: (rows, loader, raw table, plain COPY of the delivered rows)
            "web": (args.web_events, lambda dsn: web.load_business_date(dsn, landing, DAY),
                    web.RAW_TABLE,
                    lambda dsn: plain_copy(dsn, web.RAW_TABLE, WEB_COLUMNS,
                                           iter([web_copy_bytes]), "")),
            "store (POS)": (args.pos_lines, lambda dsn: store.load_business_date(dsn, landing, DAY),
                            POS_LINES.raw_table,
                            lambda dsn: plain_copy(dsn, POS_LINES.raw_table, POS_LINES.columns,
                                                   csv_bodies(pos_files), "(format csv, header)")),
            "contact_center": (
                args.contact_center_rows,
                lambda dsn: contact_center.load_business_date(dsn, landing, DAY),
                INTERACTIONS.raw_table,
                lambda dsn: plain_copy(dsn, INTERACTIONS.raw_table,
                                       INTERACTIONS.columns, csv_bodies(cc_files),
                                       "(format csv, header, delimiter ';')")),
            "finance": (args.finance_accounts,
                        lambda dsn: finance.extract_business_date(finance_dsn, dsn, DAY),
                        "raw_finance.accounts",
                        lambda dsn: plain_copy(dsn, "raw_finance.accounts", account_columns,
                                               iter([accounts_text]), "")),
        }
        figures = {silo: Figure(silo, rows) for silo, (rows, *_) in silos.items()}
        print(f"server settings: {server_settings(server.dsn('finance'))}", flush=True)
        print(f"load average before: {load_average()}", flush=True)
        for repeat in range(args.repeats):
            database = f"warehouse_{repeat}"
            server.create_database(database)
            dsn = server.dsn(database)
            bootstrap(dsn)
            for silo, (_, load, raw_table, copy_plain) in silos.items():
                figure = figures[silo]
                for loader_now in (True, False) if repeat % 2 == 0 else (False, True):
                    settle(dsn)
                    server_before, python_before = server_cpu_seconds(server), python_cpu_seconds()
                    if loader_now:
                        figure.loader_seconds.append(timed(lambda load=load, dsn=dsn: load(dsn)))
                        figure.loader_python_cpu.append(python_cpu_seconds() - python_before)
                        figure.loader_server_cpu.append(server_cpu_seconds(server) - server_before)
                    else:
                        figure.copy_seconds.append(copy_plain(dsn))
                        figure.copy_server_cpu.append(server_cpu_seconds(server) - server_before)
                settle(dsn)
                figure.floor_seconds.append(raw_layout_copy(dsn, raw_table))
                print(f"  repeat {repeat + 1}: {silo}: loader {figure.loader_seconds[-1]:.2f}s, "
                      f"plain COPY {figure.copy_seconds[-1]:.2f}s, "
                      f"floor {figure.floor_seconds[-1]:.2f}s", flush=True)
            with psycopg.connect(dsn) as conn:
                ledger = conn.execute(
                    "select source_system, sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
                    "from ops.load_ledger group by 1 order by 1").fetchall()
            if repeat < args.repeats - 1:
                server.drop_database(database)
        print(f"load average after: {load_average()}")
        print(f"\nmedians of {args.repeats} repeats; cluster: {settings}; "
              f"{os.cpu_count()} cores; {server_settings(server.dsn('finance'))}")
        print(f"{'silo':<16}{'rows':>11}{'loader rows/s':>15}{'COPY rows/s':>15}{'ratio':>8}"
              f"{'floor rows/s':>15}{'ratio':>8}   ratio per repeat")
        for figure in figures.values():
            print(figure.line())
        print(f"\nwhere the loaders' time went (medians; CPU seconds; {os.cpu_count()} cores)")
        print(f"{'silo':<16}{'loader s':>10}{'Python CPU':>12}{'server CPU':>12}{'cores busy':>12}"
              f"{'Python/server':>14}{'COPY server':>14}")
        for figure in figures.values():
            print(figure.cpu_line())
        print("\nledger (read, loaded, quarantined):",
              ", ".join(f"{s} {r:,}/{lo:,}/{q:,}" for s, r, lo, q in ledger))
        print("COPY: a plain COPY of the delivered rows (PostgreSQL parses the CSV; web: the "
              "events' columns) into an UNLOGGED table without indexes.\n"
              "floor: the raw rows the loader wrote stored once more as the loader stores them "
              "(COPY of the raw columns through a parent with the raw table's indexes into the "
              "date's partition, made in the same transaction): "
              "what storing them costs PostgreSQL alone.\n"
              "ratio: the median of the per-repeat ratios (loader rows/s over the other's).\n"
              "Python CPU: the loader's process and its worker processes; server CPU: every "
              "process of the cluster (plain COPY's under COPY server). Where Python/server "
              "exceeds the cores left beside the one backend that stores the rows, Python is "
              "the bound.")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Lookup benchmark: the lookup API over 1,000,000 synthetic customers, under a bounded load.

Starts a throwaway embedded PostgreSQL (fsync on, as `c360 up` runs it), fills
published.customer_360 (the dbt contract's columns), published.customer_segments
and the lookup's map in schema serving directly in SQL with generate_series: the
rows are synthetic, only their shape is c360's. A few customers share a household
landline and a few are restricted. Then it starts `c360 api` on the loopback and
drives --clients concurrent clients, each sending --rate lookups a second for
--seconds (a bounded load, not the most the API can take; --rate 0 sends as fast as
answers come back), with a mix of keys: unique phones, e-mails, cards, accounts,
household landlines and unknown numbers, as callers type them. It prints p50 and
p99 latency, requests per second and how busy the machine was. Run it with
`make bench-lookup` or:

    .venv/bin/python benchmarks/bench_lookup.py --customers 1000000 --clients 50 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import yaml

from c360.config import project_root
from c360.local.postgres import EmbeddedPostgres, free_port
from c360.privacy.keys import keyed_hash_sql, repr_sql
from c360.serving.tokens import create_token
from c360.warehouse.bootstrap import bootstrap
from c360.warehouse.roles import ensure_lookup_role

C360 = str(Path(sys.executable).with_name("c360"))
LOOKUP_PASSWORD = "bench-lookup-secret"
PRIVACY_KEY = "bench-privacy-key-not-a-secret"
CONTRACT = project_root() / "dbt_project/models/marts/customer_360/_customer_360__models.yml"
# A value of each of the contract's types, varied by the customer's number i.
BY_TYPE = {
    "text": "'NL'", "date": "date '2026-11-15' - (i % 900)", "integer": "(i % 7)",
    "boolean": "(i % 3 = 0)", "timestamptz": "timestamptz '2026-01-01' + (i % 300) * interval '1 day'",
    "text[]": "array['finance', 'store']", "jsonb": """'{"heating": ["store", "web"]}'::jsonb""",
}
HOUSEHOLD_EVERY = 100  # customers i and i + 1 share a landline when i % HOUSEHOLD_EVERY = 1
RESTRICTED_EVERY = 1000


def customer_360_sql(n: int) -> str:
    columns = yaml.safe_load(CONTRACT.read_text())["models"][0]["columns"]
    names, values = [], []
    for column in columns:
        kind = column["data_type"]
        names.append(f"{column['name']} {kind}")
        if column["name"] == "customer_id":
            values.append("'C' || lpad(i::text, 8, '0')")
        elif kind.startswith("numeric"):
            values.append(f"((i % 1000) / 1000.0)::{kind}")  # fits the narrowest, numeric(4,3)
        else:
            values.append(BY_TYPE[kind])
    return (f"create table published.customer_360 ({', '.join(names)});\n"
            f"insert into published.customer_360 select {', '.join(values)} "
            f"from generate_series(1, {n}) as i where i % {RESTRICTED_EVERY} <> 0;\n"
            "create index on published.customer_360 (customer_id)")


def keys_sql(n: int) -> str:
    # the benchmark's key is no secret: written into the statement, which then takes no parameters
    hashed = keyed_hash_sql("k.kind", "k.value").replace("%(privacy_key)s", repr_sql(PRIVACY_KEY))
    return f"""
        insert into serving.lookup_customers
        select 'C' || lpad(i::text, 8, '0'), (array['Jan', 'Anna', 'Piet', 'Fatima', 'Sem'])[1 + i % 5],
               1940 + i % 60, i % {RESTRICTED_EVERY} = 0
        from generate_series(1, {n}) as i;
        insert into serving.lookup_keys
        select {hashed}, k.kind, 'C' || lpad(i::text, 8, '0')
        from generate_series(1, {n}) as i
        cross join lateral (values
            ('phone', '+316' || lpad(i::text, 8, '0')),
            ('email', 'customer' || i || '@example.nl'),
            ('account', 'FA' || lpad(i::text, 7, '0')),
            ('card', '2' || lpad(i::text, 12, '0')),
            ('phone', case when i % {HOUSEHOLD_EVERY} in (1, 2)
                           then '+3110' || lpad((i / {HOUSEHOLD_EVERY})::text, 7, '0') end)
        ) as k(kind, value)
        where k.value is not null;
        insert into published.customer_segments
        select 'C' || lpad(i::text, 8, '0'), s.segment, true, date '2026-11-15', now()
        from generate_series(1, {n}) as i
        cross join lateral (values ('lapsed', i % 3 = 0), ('high_value_at_risk', i % 5 = 0),
                                   ('open_service_issue', i % 11 = 0)) as s(segment, member)
        where s.member and i % {RESTRICTED_EVERY} <> 0;
        create index on published.customer_segments (customer_id)
    """


def build(dsn: str, n: int) -> None:
    bootstrap(dsn)
    with psycopg.connect(dsn) as conn:
        for statement in customer_360_sql(n).split(";"):
            conn.execute(statement)
        conn.execute("create table published.customer_segments (customer_id text, segment text, "
                     "requires_marketing_consent boolean, business_date date, published_at timestamptz)")
    with psycopg.connect(dsn) as conn:
        for statement in keys_sql(n).split(";"):
            conn.execute(statement)
    ensure_lookup_role(dsn, LOOKUP_PASSWORD)
    # a settled server: autovacuum finds nothing left to do in the run, the checkpoint is behind it
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("vacuum (analyze)")
        conn.execute("checkpoint")


def a_key(n: int, rng: random.Random) -> dict[str, str]:
    """A key as a caller gives it: mostly one customer's, some a household's, some nobody's."""
    i = rng.randint(1, n)
    roll = rng.random()
    if roll < 0.5:
        return {"phone": f"06 {i:08d}"[:5] + " " + f"{i:08d}"[2:]}
    if roll < 0.7:
        return {"email": f"Customer{i}@Example.nl "}
    if roll < 0.8:
        return {"account": f"fa {i}" if i < 10_000_000 else f"FA{i % 10_000_000:07d}"}
    if roll < 0.9:
        return {"card": f"2{i:012d}"}
    if roll < 0.95:
        return {"phone": f"010 {(i % (n // HOUSEHOLD_EVERY) or 1):07d}"}
    return {"phone": f"+31 6 9{i % 10_000_000:07d}"}


async def drive(url: str, token: str, n: int, clients: int, seconds: float, rate: float
                ) -> tuple[list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=10) as client:
        deadline = time.perf_counter() + seconds

        async def one_client(seed: int) -> None:
            rng = random.Random(seed)
            # clients start spread over one interval, so the load is even, not in waves
            next_at = time.perf_counter() + (rng.random() / rate if rate else 0)
            while next_at < deadline:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                sent = time.perf_counter()
                response = await client.post("/lookup", json=a_key(n, rng))
                latencies.append(time.perf_counter() - sent)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                next_at = next_at + 1 / rate if rate else time.perf_counter()

        await asyncio.gather(*(one_client(seed) for seed in range(clients)))
    return latencies, statuses


def cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # total, idle + iowait


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=4, help="lookups a second per client; 0: no pause")
    parser.add_argument("--workers", type=int, default=1, help="API server processes")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="c360-bench-lookup-"))
    root.chmod(0o755)  # the postgres user must reach it
    server = EmbeddedPostgres(root=root / "pg", port=free_port())
    api = None
    try:
        server.up(databases=("warehouse",))
        dsn = server.dsn("warehouse")
        started = time.perf_counter()
        build(dsn, args.customers)
        print(f"{args.customers:,} synthetic customers (generate_series, the published tables' shape) "
              f"built in {time.perf_counter() - started:.0f} s")
        token = create_token(dsn, "bench")
        port = free_port()
        env = {**os.environ, "C360_WAREHOUSE_DSN": dsn, "C360_FINANCE_DSN": dsn,
               "C360_LOOKUP_PASSWORD": LOOKUP_PASSWORD, "C360_PRIVACY_KEY": PRIVACY_KEY,
               "C360_HOME": str(root / "home")}
        api = subprocess.Popen([C360, "api", "--port", str(port), "--workers", str(args.workers)], env=env)
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        asyncio.run(drive(url, token, args.customers, args.clients, 2, args.rate or 0))  # warm up
        before, load_before = cpu_times(), os.getloadavg()
        latencies, statuses = asyncio.run(
            drive(url, token, args.customers, args.clients, args.seconds, args.rate))
        after = cpu_times()
        busy = 1 - (after[1] - before[1]) / max(1, after[0] - before[0])
        latencies.sort()
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        load = "as fast as answered" if not args.rate else f"{args.rate:g} lookups/s each"
        print(f"{args.clients} clients ({load}) for {args.seconds:g} s over the loopback, "
              f"{args.workers} API process(es), {os.cpu_count()} cores")
        by_status = ", ".join(f"{code}: {count:,}" for code, count in sorted(statuses.items()))
        print(f"lookups: {len(latencies):,} (HTTP status {by_status})")
        print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms; {len(latencies) / args.seconds:,.0f} requests/s")
        print(f"machine: CPU {busy:.0%} busy during the run (client, API and PostgreSQL on the same "
              f"machine), load average {load_before[0]:.1f} before")
    finally:
        if api:
            api.terminate()
            api.wait(timeout=30)
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The compose warehouse server's roles: docker/init-roles.sh on a fresh PostgreSQL, as the image runs it.

The postgres image runs the script once, as its superuser over the local socket,
when the volume is new. Here a fresh cluster with a `postgres` superuser takes
the same script; then c360 sets the warehouse up as the owner it is given,
which is no superuser, and the other roles can do what they are for and no more.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from c360.config import project_root
from c360.local.postgres import find_binary
from c360.local.simulator.finance_db import create_billing
from tests.conftest import free_port
from tests.test_lifecycle import clean_env, run_c360

PASSWORDS = {
    "C360_WAREHOUSE_PASSWORD": "warehouse-owner-secret",
    "C360_BI_READER_PASSWORD": "bi-reader-secret",
    "C360_LOOKUP_PASSWORD": "lookup-secret",
    "C360_BILLING_PASSWORD": "billing-owner-secret",
    "C360_FINANCE_READER_PASSWORD": "finance-reader-secret",
}
INIT_SCRIPT = project_root() / "docker" / "init-roles.sh"


def as_server_user(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a server command as `postgres` when root (the server refuses root)."""
    command = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args
    return subprocess.run(command, capture_output=True, text=True, check=True, cwd="/", **kwargs)


@contextlib.contextmanager
def fresh_server() -> Iterator[tuple[Path, int]]:
    """A new cluster whose superuser is `postgres` (trusted on its socket, as in the image)."""
    root = Path(tempfile.mkdtemp(prefix="c360-compose-"))
    root.chmod(0o755)
    data, socket_dir = root / "data", root / "run"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(root, account.pw_uid, account.pw_gid)
        os.chown(socket_dir, account.pw_uid, account.pw_gid)
    port = free_port()
    as_server_user([find_binary("initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
                    "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"])
    as_server_user([find_binary("pg_ctl"), "start", "-D", str(data), "-w", "-l", str(root / "log"),
                    "-o", f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1"])
    try:
        yield socket_dir, port
    finally:
        as_server_user([find_binary("pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w"])
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    with fresh_server() as (socket_dir, port):
        env = {**os.environ, **PASSWORDS, "POSTGRES_USER": "postgres", "PGHOST": str(socket_dir),
               "PGPORT": str(port)}
        subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, check=True)
        yield port


def dsn(port: int, user: str, dbname: str) -> str:
    password = {"c360": "C360_WAREHOUSE_PASSWORD", "bi_reader": "C360_BI_READER_PASSWORD",
                "c360_lookup": "C360_LOOKUP_PASSWORD",
                "billing": "C360_BILLING_PASSWORD", "finance_reader": "C360_FINANCE_READER_PASSWORD"}[user]
    return make_conninfo(host="127.0.0.1", port=port, user=user, password=PASSWORDS[password], dbname=dbname)


def refused(conninfo: str, statement: str) -> str:
    with psycopg.connect(conninfo) as conn, pytest.raises(psycopg.Error) as caught:
        conn.execute(statement)
    return type(caught.value).__name__


def test_c360_sets_the_warehouse_up_as_an_owner_that_is_no_superuser(server, tmp_path):
    with psycopg.connect(dsn(server, "c360", "warehouse")) as conn:
        powers = conn.execute("select rolsuper, rolcreaterole, rolcreatedb from pg_roles "
                              "where rolname = current_user").fetchone()
        owner = conn.execute("select pg_get_userbyid(datdba) from pg_database "
                             "where datname = current_database()").fetchone()[0]
    assert powers == (False, False, False) and owner == "c360"
    env = clean_env(C360_HOME=str(tmp_path / "home"), C360_WAREHOUSE_DSN=dsn(server, "c360", "warehouse"),
                    C360_PRIVACY_KEY="compose-privacy-key-0123456789",
                    C360_BI_READER_PASSWORD=PASSWORDS["C360_BI_READER_PASSWORD"])
    up = run_c360("up", env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "role bi_reader can log in and reads schema published only" in up.stdout
    # the lookup's role exists from the init script; c360 up, which may not create roles, grants it
    with psycopg.connect(dsn(server, "c360_lookup", "warehouse")) as conn:
        assert conn.execute("select count(*) from serving.lookup_keys").fetchone()[0] == 0
        assert conn.execute("show statement_timeout").fetchone()[0] == "2s"
    assert refused(dsn(server, "c360_lookup", "warehouse"), "select * from ops.lookup_audit") == (
        "InsufficientPrivilege")
    with psycopg.connect(dsn(server, "c360", "warehouse")) as conn:
        conn.execute("create table published.probe as select 1 as customer_id")
        conn.execute("create table ops.probe as select 1 as secret")


def test_bi_reader_reads_published_in_read_only_sessions_with_a_timeout(server):
    bi = dsn(server, "bi_reader", "warehouse")
    with psycopg.connect(bi) as conn:
        assert conn.execute("select count(*) from published.probe").fetchone()[0] == 1
        assert conn.execute("show default_transaction_read_only").fetchone()[0] == "on"
        assert conn.execute("show statement_timeout").fetchone()[0] == "5min"
        assert conn.execute("show idle_in_transaction_session_timeout").fetchone()[0] == "5min"
    assert refused(bi, "select * from ops.probe") == "InsufficientPrivilege"
    assert refused(bi, "create table public.mine (x int)") == "ReadOnlySqlTransaction"
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(dsn(server, "bi_reader", "finance")).close()


def test_the_finance_extract_role_reads_billing_and_writes_nothing(server):
    with psycopg.connect(dsn(server, "billing", "finance")) as conn:  # the simulator, as its owner
        create_billing(conn)
        conn.execute("insert into billing.accounts (account_id, country_code, status, created_at, "
                     "updated_at) values ('FA0000001', 'NL', 'active', now(), now())")
    reader = dsn(server, "finance_reader", "finance")
    with psycopg.connect(reader) as conn:
        assert conn.execute("select account_id from billing.accounts").fetchall() == [("FA0000001",)]
    assert refused(reader, "delete from billing.accounts") == "ReadOnlySqlTransaction"
    with psycopg.connect(reader) as conn:
        conn.execute("set transaction read write")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from billing.accounts")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(dsn(server, "finance_reader", "warehouse")).close()

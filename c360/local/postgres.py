"""The embedded PostgreSQL cluster: a data folder under .c360/ that c360 starts itself.

PostgreSQL refuses to run as root, so when we are root every server command
runs as the `postgres` system user, who then owns the data folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from c360.config import EMBEDDED_DATABASES, EMBEDDED_SUPERUSER, PRIVATE_DATABASES
from c360.privacy.private_files import write_private

SERVER_USER = "postgres"
# Debian installs server binaries outside PATH, one folder per major version.
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with "
    "`apt-get install postgresql` (Debian/Ubuntu) or put their folder on PATH, "
    "or set C360_WAREHOUSE_DSN to use a PostgreSQL server you already run."
)


class PostgresError(RuntimeError):
    """The embedded cluster cannot be set up or started; the message says why."""


def find_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"{DEBIAN_BIN_GLOB}/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise PostgresError(INSTALL_HINT)


def _running_as_root() -> bool:
    return os.geteuid() == 0


def server_account() -> pwd.struct_passwd | None:
    if not _running_as_root():
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError as exc:
        raise PostgresError(
            "running as root, but there is no `postgres` system user to run the server as; "
            "install the Debian package `postgresql` (it creates that user) or run c360 "
            "as an ordinary user"
        ) from exc


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server c360 starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class EmbeddedPostgres:
    """One local cluster: `root` holds data/, run/ (socket), log and the password."""

    root: Path
    port: int
    durable: bool = True  # tests turn fsync off; the demo keeps it on

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    # -- running server commands ---------------------------------------------------

    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        account = server_account()
        cmd = ["runuser", "-u", account.pw_name, "--", *args] if account else args
        result = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if check and result.returncode != 0:
            raise PostgresError(
                f"`{' '.join(args[:2])}` failed (exit {result.returncode}):\n"
                f"{result.stderr.strip() or result.stdout.strip()}"
            )
        return result

    def _give_to_server_user(self, *paths: Path) -> None:
        account = server_account()
        for path in paths:
            path.mkdir(parents=True, exist_ok=True)
            if account:
                os.chown(path, account.pw_uid, account.pw_gid)
        if account:
            self._check_reachable(account)

    def _check_reachable(self, account: pwd.struct_passwd) -> None:
        probe = self._run(["test", "-w", str(self.root / "data")], check=False)
        if probe.returncode != 0:
            raise PostgresError(
                f"the `{account.pw_name}` user cannot reach {self.root}: a parent folder is "
                "not traversable by others. Set C360_PG_DIR to a folder it can reach "
                "(for example /var/tmp/c360-pg)."
            )

    # -- lifecycle -------------------------------------------------------------------

    @property
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists() and self.password_file.exists()

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        result = self._run([find_binary("pg_ctl"), "status", "-D", str(self.data_dir)], check=False)
        return result.returncode == 0

    def init(self) -> None:
        if self.initialised:
            return
        initdb = find_binary("initdb")
        self.root.mkdir(parents=True, exist_ok=True)
        # the server's account passes through to its data and socket, and lists nothing
        self.root.chmod(0o711 if server_account() else 0o700)
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise PostgresError(
                f"{self.data_dir} exists but holds no complete cluster (an interrupted "
                "`c360 up`?); remove it and run `c360 up` again"
            )
        self._give_to_server_user(self.data_dir, self.socket_dir)
        password = self.ensure_secret(self.password_file.name)
        # initdb reads the password from a file the server user can read; it is removed after.
        pwfile = self.socket_dir / "initdb-password"
        pwfile.write_text(password + "\n")
        account = server_account()
        if account:
            os.chown(pwfile, account.pw_uid, account.pw_gid)
        pwfile.chmod(0o600)
        try:
            self._run([
                initdb, "-D", str(self.data_dir), "-U", EMBEDDED_SUPERUSER,
                f"--pwfile={pwfile}", "--auth-local=scram-sha-256",
                "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8",
            ])
        finally:
            pwfile.unlink(missing_ok=True)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(self._extra_config())

    def _extra_config(self) -> str:
        lines = [
            "",
            "# added by c360",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.socket_dir}'",
            "max_connections = 200",
            "shared_buffers = 512MB",
            "work_mem = 64MB",
            "maintenance_work_mem = 256MB",
            "max_wal_size = 4GB",
            "timezone = 'UTC'",
            # The embedded cluster serves one machine: no replicas, no archive, no
            # point-in-time recovery. With minimal WAL, a table made in the transaction
            # that fills it (the loaders' date partitions, c360/ingest/partitions.py)
            # is written without WAL and synced at commit. An external warehouse keeps
            # its own settings (replica WAL for its standbys and backups); the loads
            # work there the same, only with WAL.
            "wal_level = minimal",
            "max_wal_senders = 0",
        ]
        if not self.durable:
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        if self.is_running():
            return
        if port_in_use(self.port):
            raise PostgresError(
                f"port {self.port} on 127.0.0.1 is already taken by another program; "
                "stop it or choose another port with C360_PG_PORT"
            )
        self._run([
            find_binary("pg_ctl"), "start", "-D", str(self.data_dir), "-w", "-t", "60",
            "-l", str(self.log_file), "-o", f"-p {self.port}",
        ])

    def stop(self) -> None:
        if self.is_running():
            self._run([find_binary("pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"])

    def up(self, databases: tuple[str, ...] = EMBEDDED_DATABASES) -> None:
        """Initialise, start and create the databases; safe to call any number of times."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if not self.log_file.exists():
            self.log_file.touch(mode=0o600)
        account = server_account()
        if account:
            os.chown(self.log_file, account.pw_uid, account.pw_gid)
        self.init()
        self.start()
        for name in databases:
            self.create_database(name)
        self.close_to_others(set(databases) & PRIVATE_DATABASES)

    def close_to_others(self, names: set[str]) -> None:
        """Only the cluster's own role connects to these: `bi_reader` and any role made
        later read the warehouse, never Airflow's metadata or the finance source."""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            for name in sorted(names):
                conn.execute(sql.SQL("revoke connect, temporary on database {} from public")
                             .format(sql.Identifier(name)))

    def ensure_secret(self, name: str) -> str:
        """A generated password kept beside the cluster, made once, readable by its owner
        only from the moment the file exists."""
        path = self.root / name
        if not path.exists():
            write_private(path, secrets.token_urlsafe(24) + "\n")
        return path.read_text().strip()

    # -- connections -----------------------------------------------------------------

    def dsn(self, dbname: str = "postgres") -> str:
        return make_conninfo(
            host="127.0.0.1",
            port=self.port,
            user=EMBEDDED_SUPERUSER,
            password=self.password_file.read_text().strip(),
            dbname=dbname,
        )

    def create_database(self, name: str) -> bool:
        """Create `name` unless it exists; True when it was created."""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
            if exists:
                return False
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            return True

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))

    def databases(self) -> list[str]:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            rows = conn.execute(
                "select datname from pg_database where not datistemplate order by 1"
            ).fetchall()
        return [r[0] for r in rows]

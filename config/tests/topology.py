"""Throwaway servers on 127.0.0.1 for tests: a PostgreSQL primary with a streaming replica, Redis with Sentinel."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import psycopg
import redis


def _newest_postgres_bin() -> Path:
    versions = [path for path in Path("/usr/lib/postgresql").glob("*/bin") if path.parent.name.isdigit()]
    return max(versions, key=lambda path: int(path.parent.name), default=Path("/usr/lib/postgresql/15/bin"))


# Debian's layout (the newest version installed) unless TOPOLOGY_PG_BIN names another directory.
PG_BIN = Path(os.environ.get("TOPOLOGY_PG_BIN") or _newest_postgres_bin())
REDIS_SERVER = os.environ.get("TOPOLOGY_REDIS_SERVER", "redis-server")
HOST = "127.0.0.1"
# PostgreSQL refuses to run as root; as root the servers run as this OS user.
PG_OS_USER = "postgres"

T = TypeVar("T")


class TopologyTimeout(AssertionError):
    """A wait on a throwaway server passed its deadline."""


def wait_until(condition: Callable[[], T], *, timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll `condition` until it returns a truthy value (returned) or `timeout` seconds pass (TopologyTimeout)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = condition()
        except (OSError, psycopg.Error, redis.RedisError) as exc:
            result, last_error = None, exc
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TopologyTimeout(f"{what}: not within {timeout:.1f} s (last error: {last_error!r})")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _as_root() -> bool:
    return os.geteuid() == 0


def postgres_missing() -> str | None:
    """Why the PostgreSQL topology cannot start here, or None."""
    missing = [name for name in ("initdb", "pg_ctl", "pg_basebackup") if not os.access(PG_BIN / name, os.X_OK)]
    if missing:
        return f"PostgreSQL binaries {', '.join(missing)} not found in {PG_BIN} (set TOPOLOGY_PG_BIN)"
    if _as_root():
        try:
            pwd.getpwnam(PG_OS_USER)
        except KeyError:
            return f"running as root and there is no {PG_OS_USER!r} OS user to run PostgreSQL as"
        if not shutil.which("runuser"):
            return "running as root and runuser is not installed"
    return None


def redis_missing() -> str | None:
    """Why the Redis Sentinel topology cannot start here, or None."""
    if not shutil.which(REDIS_SERVER):
        return f"{REDIS_SERVER} not found on PATH (Debian: apt-get install redis-server)"
    return None


def _run(command: list[str], *, timeout: float = 60) -> None:
    if _as_root():
        command = ["runuser", "-u", PG_OS_USER, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()}")


def _private_dir(prefix: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    if _as_root():
        entry = pwd.getpwnam(PG_OS_USER)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    return root


@dataclasses.dataclass
class PostgresTopology:
    """A PostgreSQL primary and one streaming replica (hot standby) in a temporary directory."""

    root: Path
    primary_port: int
    replica_port: int
    dbname: str
    user: str = "postgres"
    _tables: list[str] = dataclasses.field(default_factory=list, repr=False)
    _rows: dict[str, bytes] = dataclasses.field(default_factory=dict, repr=False)
    _sequences: dict[str, tuple[int, bool]] = dataclasses.field(default_factory=dict, repr=False)
    _started: list[Path] = dataclasses.field(default_factory=list, repr=False)

    @classmethod
    def start(cls, *, dbname: str = "ops_topology") -> PostgresTopology:
        """initdb a primary (trust auth on 127.0.0.1, wal_level=replica), create `dbname`, clone a replica, start both."""
        topology = cls(root=_private_dir("ops-pg-topology-"), primary_port=free_port(), replica_port=free_port(),
                       dbname=dbname)
        try:
            topology._start()
        except BaseException:
            topology.stop()
            raise
        return topology

    @property
    def primary_dir(self) -> Path:
        """The primary's data directory."""
        return self.root / "primary"

    @property
    def replica_dir(self) -> Path:
        """The replica's data directory."""
        return self.root / "replica"

    def _start(self) -> None:
        _run([str(PG_BIN / "initdb"), "-D", str(self.primary_dir), "-U", self.user, "-A", "trust", "--no-sync",
              "--no-instructions", "-E", "UTF8", "--locale=C.UTF-8"])
        settings = {
            "listen_addresses": f"'{HOST}'",
            "unix_socket_directories": f"'{self.root}'",
            "wal_level": "replica",
            "max_wal_senders": "4",
            "max_connections": "40",
            "shared_buffers": "32MB",
            # Throwaway data: no durability. synchronous_commit stays on, so a commit is sent to the replica at once.
            "fsync": "off",
            "full_page_writes": "off",
            # The replica's reports (receive, replay positions) every second rather than every ten.
            "wal_receiver_status_interval": "1s",
            "logging_collector": "off",
            # No WAL but the tests' own: a replica "caught up" stays caught up until the next write.
            "autovacuum": "off",
            "checkpoint_timeout": "1h",
        }
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        self._pg_ctl_start(self.primary_dir, self.primary_port)
        with self.connect(dbname="postgres") as connection:
            connection.execute(f'CREATE DATABASE "{self.dbname}"')
        _run([str(PG_BIN / "pg_basebackup"), "-h", HOST, "-p", str(self.primary_port), "-U", self.user,
              "-D", str(self.replica_dir), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"])
        self._pg_ctl_start(self.replica_dir, self.replica_port)
        wait_until(lambda: self._streaming(), timeout=30, what="replica streaming from the primary")

    def _pg_ctl_start(self, data_dir: Path, port: int) -> None:
        self._started.append(data_dir)
        _run([str(PG_BIN / "pg_ctl"), "start", "-D", str(data_dir), "-w", "-t", "30", "-l", str(data_dir / "server.log"),
              "-o", f"-p {port}"])

    def _streaming(self) -> bool:
        rows = self.query("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
        return rows[0][0] > 0

    def stop(self) -> None:
        """Stop both servers (immediate shutdown) and remove the directory."""
        for data_dir in reversed(self._started):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                _run([str(PG_BIN / "pg_ctl"), "stop", "-D", str(data_dir), "-m", "immediate", "-w", "-t", "20"],
                     timeout=30)
        self._started.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def port(self, *, replica: bool = False) -> int:
        """The primary's port, or the replica's."""
        return self.replica_port if replica else self.primary_port

    def connect(self, *, replica: bool = False, dbname: str | None = None) -> psycopg.Connection:
        """A new autocommit connection (the caller closes it)."""
        return psycopg.connect(host=HOST, port=self.port(replica=replica), user=self.user,
                               dbname=dbname or self.dbname, autocommit=True, connect_timeout=3)

    def query(self, sql: str, params: tuple = (), *, replica: bool = False) -> list[tuple]:
        """Rows of one statement, run in its own connection (so never inside a test's transaction)."""
        with self.connect(replica=replica) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def database_settings(self, base: dict, *, replica: bool = False) -> dict:
        """A Django DATABASES entry: `base` (the test database's) pointed at the primary or the replica."""
        return {**base, "HOST": HOST, "PORT": self.port(replica=replica), "NAME": self.dbname, "USER": self.user,
                "PASSWORD": "", "CONN_MAX_AGE": 0, "TEST": {**base.get("TEST", {}), "NAME": self.dbname}}

    def take_snapshot(self) -> None:
        """Remember every table's rows and every sequence's position on the primary (after migrating, say)."""
        with self.connect() as connection:
            self._tables = [name for (name,) in connection.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = 'public'")]
            self._rows = {}
            for table in self._tables:
                with connection.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                    rows = b"".join(bytes(block) for block in copy)
                if rows:
                    self._rows[table] = rows
            self._sequences = {}
            for (sequence,) in connection.execute(
                    "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences WHERE schemaname = 'public'"):
                self._sequences[sequence] = connection.execute(f"SELECT last_value, is_called FROM {sequence}").fetchone()

    def restore_snapshot(self) -> None:
        """Put the primary back to the last snapshot: every table emptied and refilled, every sequence reset."""
        with self.connect() as connection, connection.transaction():
            # Triggers (and so foreign-key checks) off: the rows go back exactly as they were.
            connection.execute("SET LOCAL session_replication_role = replica")
            connection.execute(f"TRUNCATE {', '.join(self._tables)}")
            for table, rows in self._rows.items():
                with connection.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(rows)
            for sequence, (last_value, is_called) in self._sequences.items():
                connection.execute("SELECT setval(%s, %s, %s)", (sequence, last_value, is_called))

    def primary_lsn(self) -> str:
        """The primary's current WAL write position (pg_current_wal_lsn())."""
        return self.query("SELECT pg_current_wal_lsn()::text")[0][0]

    def replay_lsn(self) -> str:
        """The replica's last replayed WAL position (pg_last_wal_replay_lsn())."""
        return self.query("SELECT pg_last_wal_replay_lsn()::text", replica=True)[0][0]

    def replay_lag_bytes(self) -> int:
        """Bytes of WAL the primary has written that the replica has not replayed."""
        return int(self.query("SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())", (self.primary_lsn(),),
                              replica=True)[0][0])

    def replayed(self, lsn: str) -> bool:
        """The replica has replayed the WAL up to `lsn`."""
        return self.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,), replica=True)[0][0]

    def received(self, lsn: str) -> bool:
        """The replica has received (not necessarily replayed) the WAL up to `lsn`."""
        return self.query("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", (lsn,), replica=True)[0][0]

    def wait_received(self, lsn: str, *, timeout: float = 10) -> None:
        """Wait until the replica has received the WAL up to `lsn` (works with replay paused)."""
        wait_until(lambda: self.received(lsn), timeout=timeout, what=f"replica received up to {lsn}")

    def pause_replay(self, *, timeout: float = 10) -> None:
        """Stop applying WAL on the replica (it keeps receiving it); returns once replay is paused."""
        self.query("SELECT pg_wal_replay_pause()", replica=True)
        wait_until(lambda: self._replay_state() == "paused", timeout=timeout, what="replica replay paused")

    def resume_replay(self) -> None:
        """Apply WAL on the replica again."""
        self.query("SELECT pg_wal_replay_resume()", replica=True)

    def _replay_state(self) -> str:
        return self.query("SELECT pg_get_wal_replay_pause_state()", replica=True)[0][0]

    def wait_caught_up(self, *, timeout: float = 10) -> str:
        """Wait until the replica has replayed everything the primary had written when called; returns that LSN."""
        lsn = self.primary_lsn()
        wait_until(lambda: self.replayed(lsn), timeout=timeout, what=f"replica replayed up to {lsn}")
        return lsn

    @contextlib.contextmanager
    def replay_paused(self) -> Iterator[None]:
        """Replay paused inside the block, resumed (and caught up) after it."""
        self.pause_replay()
        try:
            yield
        finally:
            self.resume_replay()
            self.wait_caught_up()


@dataclasses.dataclass
class RedisSentinelTopology:
    """A Redis master, one replica and Sentinels monitoring them as `service`, in a temporary directory."""

    root: Path
    service: str
    master_port: int
    replica_port: int
    sentinel_ports: list[int]
    processes: dict[int, subprocess.Popen] = dataclasses.field(default_factory=dict)

    @classmethod
    def start(cls, *, sentinels: int = 1, service: str | None = None, down_after_ms: int = 1000,
              failover_timeout_ms: int = 3000, timeout: float = 20) -> RedisSentinelTopology:
        """Start master, replica and `sentinels` Sentinels (quorum 1); return once a Sentinel knows the replica."""
        master_port = free_port()
        topology = cls(root=Path(tempfile.mkdtemp(prefix="ops-redis-topology-")),
                       # Unique per topology: django-redis keeps connection pools per URL for the life of the process.
                       service=service or f"ops-test-{master_port}", master_port=master_port,
                       replica_port=free_port(), sentinel_ports=[free_port() for _ in range(sentinels)])
        try:
            topology._start(down_after_ms=down_after_ms, failover_timeout_ms=failover_timeout_ms, timeout=timeout)
        except BaseException:
            topology.stop()
            raise
        return topology

    def _start(self, *, down_after_ms: int, failover_timeout_ms: int, timeout: float) -> None:
        self._spawn(self.master_port, [])
        self._spawn(self.replica_port, ["--replicaof", HOST, str(self.master_port)])
        for port in self.sentinel_ports:
            conf = self.root / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind {HOST}\ndir {self.root}\n"
                f"sentinel monitor {self.service} {HOST} {self.master_port} 1\n"
                f"sentinel down-after-milliseconds {self.service} {down_after_ms}\n"
                f"sentinel failover-timeout {self.service} {failover_timeout_ms}\n"
                f"sentinel parallel-syncs {self.service} 1\n"
            )
            self._spawn(port, [], conf=conf)
        wait_until(lambda: self.client(self.replica_port).info("replication").get("master_link_status") == "up",
                   timeout=timeout, what="Redis replica in sync with its master")
        for port in self.sentinel_ports:
            wait_until(lambda port=port: self._sentinel_knows_replica(port), timeout=timeout,
                       what=f"Sentinel {port} seeing the replica")

    def _spawn(self, port: int, arguments: list[str], *, conf: Path | None = None) -> None:
        log = ["--logfile", str(self.root / f"{port}.log")]
        if conf:  # a Sentinel takes its settings from the file, which it rewrites as it learns the topology
            command = [REDIS_SERVER, str(conf), "--sentinel", *log]
        else:
            command = [REDIS_SERVER, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
                       "--dir", str(self.root), "--repl-diskless-sync-delay", "0", *log, *arguments]
        self.processes[port] = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: self.client(port).ping(), timeout=10, what=f"redis-server on port {port}")

    def _sentinel_knows_replica(self, port: int) -> bool:
        replicas = self.client(port).sentinel_slaves(self.service)
        return any(replica["port"] == self.replica_port and not replica["is_sdown"] for replica in replicas)

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        """The Sentinels' addresses, as django-redis's SENTINELS option takes them."""
        return [(HOST, port) for port in self.sentinel_ports]

    def client(self, port: int, *, timeout: float = 1.0) -> redis.Redis:
        """A plain client of the server (or Sentinel) on `port`, with short timeouts."""
        return redis.Redis(host=HOST, port=port, socket_timeout=timeout, socket_connect_timeout=timeout)

    def master_address(self) -> tuple[str, int]:
        """The master's address as the first Sentinel reports it."""
        host, port = self.client(self.sentinel_ports[0]).sentinel_get_master_addr_by_name(self.service)
        return host.decode() if isinstance(host, bytes) else host, int(port)

    def wait_replicated(self, *, timeout: float = 10) -> None:
        """Wait until the replica has applied every write the master had accepted when called."""
        master_port = self.master_address()[1]
        replica_port = next(port for port in (self.master_port, self.replica_port) if port != master_port)
        offset = self.client(master_port).info("replication")["master_repl_offset"]
        wait_until(lambda: self.client(replica_port).info("replication").get("slave_repl_offset", -1) >= offset,
                   timeout=timeout, what=f"Redis replica at master offset {offset}")

    def kill_master(self) -> int:
        """SIGKILL the current master (no shutdown, no goodbye to clients); returns its port."""
        _, port = self.master_address()
        process = self.processes.pop(port)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        return port

    def kill_master_losing(self, writes: Callable[[], None]) -> int:
        """Kill the master right after `writes`, which it accepts but never sends to the replica; returns its port.

        What asynchronous replication allows in a failover: the replica is stopped (SIGSTOP) and its link dropped
        before the writes, and resumed once the master is dead, so the replica promoted next has never seen them.
        """
        master_port = self.master_address()[1]
        replica_port = next(port for port in (self.master_port, self.replica_port) if port != master_port)
        replica = self.processes[replica_port]
        replica.send_signal(signal.SIGSTOP)
        try:
            self.client(master_port).client_kill_filter(_type="replica")
            writes()
            self.kill_master()
        finally:
            replica.send_signal(signal.SIGCONT)
        return master_port

    def healthy_master(self) -> int | None:
        """The master's port if every Sentinel reports one up (as redis-py's Sentinel client requires), else None.

        During a failover SENTINEL GET-MASTER-ADDR-BY-NAME names the promoted replica a little before SENTINEL
        MASTERS (what redis-py asks) stops reporting the old master down: this waits for the latter.
        """
        ports = set()
        for port in self.sentinel_ports:
            state = self.client(port).sentinel_master(self.service)
            if state["is_sdown"] or state["is_odown"] or not state["is_master"]:
                return None
            ports.add(int(state["port"]))
        return ports.pop() if len(ports) == 1 else None

    def wait_for_promotion(self, old_master_port: int, *, timeout: float = 20) -> int:
        """Wait until the Sentinels report a new master up and it answers as one; returns its port."""

        def promoted() -> int | None:
            port = self.healthy_master()
            if port in (None, old_master_port) or self.client(port).info("replication")["role"] != "master":
                return None
            return port

        return wait_until(promoted, timeout=timeout, what=f"Sentinel promoting a replica of {self.service}")

    def stop(self) -> None:
        """Kill every server and Sentinel still running and remove the directory."""
        for process in self.processes.values():
            process.kill()
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        self.processes.clear()
        shutil.rmtree(self.root, ignore_errors=True)

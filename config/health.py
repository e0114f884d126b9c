"""Liveness (/healthz, no I/O) and readiness (/readyz: databases, replica lag, cache, migrations) for load balancers."""
import asyncio
import dataclasses
import logging
import threading
import uuid
from typing import ClassVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Aliases whose migrations were found applied once; they stay applied for the life of the process.
_migrated_aliases: set[str] = set()
# Check name → why it fails, while it fails (this process): a state change is logged, never a repeated state.
_failing: dict[str, str] = {}
_failing_lock = threading.Lock()


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers: no database, cache or other I/O, so a dependency outage never restarts it."""
    return JsonResponse({"status": "ok"})


@dataclasses.dataclass
class DatabaseReachable(HealthCheck):
    """`SELECT 1` on the request thread's connection of `alias` (bounded by connect_timeout)."""

    kind: ClassVar[str] = "databasereachable"
    alias: str = "default"

    async def run(self) -> None:
        # Thread-sensitive: the request thread's connection, which the request's own cleanup then manages.
        await sync_to_async(self._select_one)()

    def _select_one(self) -> None:
        try:
            with connections[self.alias].cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError as exc:
            raise ServiceUnavailable("unreachable") from exc


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration of the code is applied on `alias` (a new release must not serve a schema it predates)."""

    kind: ClassVar[str] = "migrationsapplied"
    alias: str = "default"

    async def run(self) -> None:
        if self.alias not in _migrated_aliases:
            await sync_to_async(self._check_plan)()

    def _check_plan(self) -> None:
        try:
            executor = MigrationExecutor(connections[self.alias])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            raise ServiceUnavailable("unreachable") from exc
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations not applied")
        _migrated_aliases.add(self.alias)


@dataclasses.dataclass
class CacheReachable(HealthCheck):
    """A value written to cache `alias` reads back."""

    kind: ClassVar[str] = "cache"
    alias: str = "default"

    async def run(self) -> None:
        await sync_to_async(self._round_trip, thread_sensitive=False)()

    def _round_trip(self) -> None:
        cache = caches[self.alias]
        # django-redis's client raises what the cache's own methods swallow under IGNORE_EXCEPTIONS (and log, with
        # a traceback, at every call): an outage reads as a miss there, not as a failure.
        store = cache.client if isinstance(cache, RedisCache) else cache
        key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
        try:
            store.set(key, value, timeout=5)
            read_back = store.get(key)
        except ConnectionInterrupted as exc:
            timed_out = isinstance(exc.__cause__, RedisTimeoutError)
            raise ServiceUnavailable("timed out" if timed_out else "unreachable") from exc
        except RedisError as exc:
            raise ServiceUnavailable(f"error: {type(exc).__name__}") from exc
        if read_back != value:
            raise ServiceUnavailable("value not read back")


def forget_check_states() -> None:
    """Every check taken as passing again (tests)."""
    with _failing_lock:
        _failing.clear()


def _note_state(*, name: str, failure: str | None, exc: BaseException | None) -> None:
    """One log line when a check starts failing and one when it passes again; nothing while its state holds."""
    with _failing_lock:
        was_failing = name in _failing
        if failure is None:
            _failing.pop(name, None)
        else:
            _failing[name] = failure
    if failure is not None and not was_failing:
        # The cause's first line says why (refused, timed out); a traceback only for an unexpected exception.
        cause = str(exc.__cause__ or "").strip().splitlines() if isinstance(exc, ServiceUnavailable) else []
        logger.warning(
            "Readiness check %s failing: %s%s", name, failure, f" ({cause[0]})" if cause else "",
            exc_info=exc if failure == "error" else None,
        )
    elif failure is None and was_failing:
        # At WARNING like the failure, so that both show at the default log level.
        logger.warning("Readiness check %s ok again", name)


async def _outcome(check: HealthCheck) -> str | None:
    """None when the check passes, else a short reason; state changes logged."""
    name = f"{check.kind}:{check.alias}"
    exc: BaseException | None = None
    try:
        await asyncio.wait_for(check.run(), check.timeout.total_seconds())
    except ServiceUnavailable as caught:
        failure, exc = caught.message, caught
    except TimeoutError:
        failure = "timed out"
    except Exception as caught:
        failure, exc = "error", caught
    else:
        failure = None
    _note_state(name=name, failure=failure, exc=exc)
    return failure


# On the replica itself: how far its replay is behind what it has received. Caught up (nothing received but
# unreplayed) is no lag, however old the last replayed transaction: an idle primary sends no new ones.
REPLICA_LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE coalesce(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)::float8 END,
       coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::bigint
"""


@dataclasses.dataclass
class ReplicaLag(HealthCheck):
    """Replay lag of the PostgreSQL replica `alias` in seconds and bytes; above REPLICA_MAX_LAG_SECONDS it fails."""

    kind: ClassVar[str] = "replicalag"
    alias: str = "replica"
    lag: dict = dataclasses.field(default_factory=dict, repr=False)

    async def run(self) -> None:
        await sync_to_async(self._measure)()

    def _measure(self) -> None:
        try:
            with connections[self.alias].cursor() as cursor:
                cursor.execute(REPLICA_LAG_SQL)
                in_recovery, seconds, lag_bytes = cursor.fetchone()
        except DatabaseError as exc:
            raise ServiceUnavailable("unreachable") from exc
        # A server out of recovery (promoted, or the primary itself) has nothing left to replay.
        self.lag.update(in_recovery=in_recovery, lag_seconds=round(seconds, 3), lag_bytes=int(lag_bytes))
        limit = settings.REPLICA_MAX_LAG_SECONDS
        if seconds > limit:
            raise ServiceUnavailable(f"replays {seconds:.1f} s behind (limit {limit:g} s)")


def replica_aliases() -> list[str]:
    """The PostgreSQL aliases other than default: read replicas (REPLICA_DATABASE_URL defines "replica")."""
    return [alias for alias, database in settings.DATABASES.items()
            if alias != "default" and "postgresql" in database["ENGINE"]]


class ReadinessView(HealthCheckView):
    """200 when every database answers, replicas lag little, migrations are applied and the cache works, else 503.

    The body names each check (kind:alias) with "ok" or a short reason: "unreachable", "timed out", ...
    """

    async def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        checks = [
            *(DatabaseReachable(alias=alias) for alias in settings.DATABASES),
            MigrationsApplied(alias="default"),
            CacheReachable(alias="default"),
        ]
        lags = [ReplicaLag(alias=alias) for alias in replica_aliases()]
        checks += lags
        failures = await asyncio.gather(*(_outcome(check) for check in checks))
        failed = any(failures)
        body = {
            "status": "unavailable" if failed else "ok",
            "checks": {f"{check.kind}:{check.alias}": failure or "ok" for check, failure in zip(checks, failures, strict=True)},
        }
        if lags:
            body["replication"] = {check.alias: check.lag or None for check in lags}
        response = JsonResponse(body, status=503 if failed else 200)
        # Probes repeat every few seconds: the state change is logged above, not Django's line per 503.
        response._has_been_logged = True
        return response

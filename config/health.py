"""Liveness (/healthz, no I/O) and readiness (/readyz: databases, replica lag, cache, migrations) for load balancers."""
import asyncio
import dataclasses

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Cache
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

# Aliases whose migrations were found applied once; they stay applied for the life of the process.
_migrated_aliases: set[str] = set()


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers: no database, cache or other I/O, so a dependency outage never restarts it."""
    return JsonResponse({"status": "ok"})


@dataclasses.dataclass
class DatabaseReachable(HealthCheck):
    """`SELECT 1` on the request thread's connection of `alias` (bounded by connect_timeout)."""

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
            raise ServiceUnavailable(f"database {self.alias} unreachable") from exc


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration of the code is applied on `alias` (a new release must not serve a schema it predates)."""

    alias: str = "default"

    async def run(self) -> None:
        if self.alias not in _migrated_aliases:
            await sync_to_async(self._check_plan)()

    def _check_plan(self) -> None:
        try:
            executor = MigrationExecutor(connections[self.alias])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            raise ServiceUnavailable(f"database {self.alias} unreachable") from exc
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations not applied on {self.alias}")
        _migrated_aliases.add(self.alias)


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
            raise ServiceUnavailable(f"database {self.alias} unreachable") from exc
        # A server out of recovery (promoted, or the primary itself) has nothing left to replay.
        self.lag.update(in_recovery=in_recovery, lag_seconds=round(seconds, 3), lag_bytes=int(lag_bytes))
        limit = settings.REPLICA_MAX_LAG_SECONDS
        if seconds > limit:
            raise ServiceUnavailable(f"database {self.alias} replays {seconds:.1f} s behind (limit {limit:g} s)")


def replica_aliases() -> list[str]:
    """The PostgreSQL aliases other than default: read replicas (REPLICA_DATABASE_URL defines "replica")."""
    return [alias for alias, database in settings.DATABASES.items()
            if alias != "default" and "postgresql" in database["ENGINE"]]


class ReadinessView(HealthCheckView):
    """200 when every database answers, replicas lag little, migrations are applied and the cache works, else 503."""

    async def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        checks = [
            *(DatabaseReachable(alias=alias) for alias in settings.DATABASES),
            MigrationsApplied(alias="default"),
            Cache(alias="default"),
        ]
        lags = [ReplicaLag(alias=alias) for alias in replica_aliases()]
        checks += lags
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check in checks))
        failed = any(result.error for result in results)
        body = {
            "status": "unavailable" if failed else "ok",
            "checks": {
                f"{type(result.check).__name__.lower()}:{result.check.alias}": str(result.error or "ok")
                for result in results
            },
        }
        if lags:
            body["replication"] = {check.alias: check.lag or None for check in lags}
        return JsonResponse(body, status=503 if failed else 200)

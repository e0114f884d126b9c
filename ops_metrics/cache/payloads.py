"""What a cached payload is stored under: the tables it reads, its key, its ETag, and the config row of a generation."""
import hashlib
from collections.abc import Collection, Sequence

from ops_metrics.cache.backend import cache_key
from ops_metrics.cache.generations import store
from ops_metrics.constants import GROUP_TABLES, SERIES_TABLES, SourceTable
from ops_metrics.models import OpsConfig
from ops_metrics.windows.ranges import CustomRange, SeriesQuery, StaffFilter, staff_text

CONFIG_KEY = cache_key("config")
# A copy tagged with a config generation that has moved on is never served again. The expiry bounds the one case the
# tag cannot catch, an invalidation lost while the cache was unreachable: the config is then re-read within this.
CONFIG_TIMEOUT_SECONDS = 300


def config_under(generation: int, tagged: tuple[int, OpsConfig] | None) -> OpsConfig:
    """The cached config when it was read under `generation`, else the row (cached tagged with `generation`).

    The tag is read before loading: an OpsConfig save moves the generation on after commit, so a copy read from the
    database while the save commits carries the old tag and is never served afterwards.
    """
    if tagged is not None and tagged[0] == generation:
        return tagged[1]
    config = OpsConfig.load()
    store(CONFIG_KEY, (generation, config), timeout=CONFIG_TIMEOUT_SECONDS)
    return config


def source_tables(groups: Collection[str]) -> tuple[str, ...]:
    """The tables a payload of `groups` is computed from, the config included."""
    return tuple(sorted({SourceTable.CONFIG, *(table for group in groups for table in GROUP_TABLES[group])}))


def series_tables(metrics: Collection[str]) -> tuple[str, ...]:
    """The tables a time series of `metrics` is computed from, the config included."""
    return tuple(sorted({SourceTable.CONFIG, *(table for metric in metrics for table in SERIES_TABLES[metric])}))


def filtered_tables(tables: Collection[str], staff: StaffFilter | None) -> tuple[str, ...]:
    """`tables`, plus the staff table under a staff filter.

    Deleting a staff member unassigns their work through the foreign keys' ON DELETE SET NULL, an update that sends
    no signal for the bookings and complaints it moves: the staff table's generation is what makes filtered answers
    (whose `none` and id sets it changes) stale then.
    """
    return tuple(sorted({*tables, SourceTable.STAFF})) if staff is not None else tuple(tables)


def span(custom: CustomRange | None) -> str:
    """A custom range in a key ("" for a named period)."""
    return "" if custom is None else f"{custom.start.isoformat()}/{custom.end.isoformat()}"


def metrics_key(
    *, period: str, groups: Sequence[str], custom: CustomRange | None = None, staff: StaffFilter | None = None
) -> str:
    """Cache key of one payload: the period (or range), groups and staff; the entry is tagged with what it was read under."""
    window = period if custom is None else f"{period}={span(custom)}"
    return cache_key("metrics", window, ",".join(groups), f"staff={staff_text(staff)}")


def query_text(query: SeriesQuery) -> str:
    """A time-series query (range, interval, comparison) in a key."""
    return (
        f"{query.period}|{span(query.custom)}|{query.interval}|{'compare' if query.compare else 'alone'}"
        f"|staff={staff_text(query.staff)}"
    )


def timeseries_key(*, query: SeriesQuery, metrics: Sequence[str]) -> str:
    """Cache key of one time series: the query (range, interval, compare) and metrics."""
    return cache_key("timeseries", query_text(query), ",".join(metrics))


def staff_key(*, period: str, custom: CustomRange | None, staff: StaffFilter | None, ordering: str, amounts: bool) -> str:
    """Cache key of one per-staff payload: window, staff filter, ordering, amounts or not."""
    return cache_key(
        "staff", f"{period}={span(custom)}", f"staff={staff_text(staff)}", ordering, "amounts" if amounts else "counts"
    )


def payload_etag(key: str, payload: dict) -> str:
    """The validator of a payload computed under `key`."""
    digest = hashlib.sha256(f"{key}|{payload['generated_at']}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def redacted_etag(etag: str, redacted: Sequence[str]) -> str:
    """The validator of a payload with `redacted` withheld: the body differs, so must its validator."""
    if not redacted:
        return etag
    return '"{}"'.format(hashlib.sha256(f"{etag}|redacted={','.join(redacted)}".encode()).hexdigest()[:32])

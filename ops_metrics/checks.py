"""System checks: the settings the metrics app reads are present and consistent."""
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from ops_metrics import app_settings
from ops_metrics.constants import THROTTLE_SCOPE

LOCAL_MEMORY_CACHE = "django.core.cache.backends.locmem.LocMemCache"


@register(Tags.security)
def check_throttle_rate(app_configs=None, **kwargs) -> list[CheckMessage]:
    """The metrics endpoint's throttle scope has a rate DRF can parse."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(THROTTLE_SCOPE)
    if not rate:
        return [Error(
            f"REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'] has no rate for the {THROTTLE_SCOPE!r} scope.",
            hint="Set OPS_METRICS_THROTTLE_RATE, e.g. 120/min.", id="ops_metrics.E001",
        )]
    try:
        SimpleRateThrottle.parse_rate(None, rate)
    except (ValueError, KeyError, IndexError):
        return [Error(f"Throttle rate {rate!r} is not of the form <number>/<second|minute|hour|day>.",
                      id="ops_metrics.E002")]
    return []


@register(Tags.database)
def check_database_alias(app_configs=None, **kwargs) -> list[CheckMessage]:
    """OPS_METRICS_DATABASE names a configured database."""
    alias = app_settings.configured_metrics_database()
    if alias not in settings.DATABASES:
        return [Error(f"OPS_METRICS_DATABASE={alias!r} is not a key of DATABASES.",
                      hint="Define it (REPLICA_DATABASE_URL defines 'replica') or use 'default'.", id="ops_metrics.E003")]
    return []


@register(Tags.caches)
def check_cache_alias(app_configs=None, **kwargs) -> list[CheckMessage]:
    """OPS_METRICS_CACHE names a configured cache; a local-memory one is not shared by several processes."""
    alias = app_settings.cache_alias()
    if alias not in settings.CACHES:
        return [Error(f"OPS_METRICS_CACHE={alias!r} is not a key of CACHES.", id="ops_metrics.E004")]
    workers = os.environ.get("WEB_CONCURRENCY", "1")
    if settings.CACHES[alias]["BACKEND"] == LOCAL_MEMORY_CACHE and workers.isdigit() and int(workers) > 1:
        return [Warning(
            f"The metrics cache is process-local but WEB_CONCURRENCY={workers}: a write seen by one worker leaves "
            "the others serving old figures until their TTL.",
            hint="Set REDIS_URL, or run one worker with threads.", id="ops_metrics.W001",
        )]
    return []


@register()
def check_time_zone(app_configs=None, **kwargs) -> list[CheckMessage]:
    """TIME_ZONE (the business timezone a new OpsConfig starts with) is an IANA name."""
    try:
        ZoneInfo(settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return [Error(f"TIME_ZONE={settings.TIME_ZONE!r} is not an IANA timezone name.", id="ops_metrics.E005")]
    return []

"""Rate limiting of the ops endpoints: an atomic counter per user and window, process-local while the cache is down."""
from collections.abc import Callable
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from django_redis.cache import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from ops_metrics.cache.backend import CacheUnavailable, cache_call, cache_run

# Keeps limiting per process (each worker counts on its own) while the shared cache does not answer.
_fallback_counters = LocMemCache("ops-metrics-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


def _shared(method: str, *args: Any, **kwargs: Any) -> Any:
    return cache_call(method, *args, alias=DEFAULT_CACHE_ALIAS, **kwargs)


def _local(method: str, *args: Any, **kwargs: Any) -> Any:
    return getattr(_fallback_counters, method)(*args, **kwargs)


# INCR first; the window's first request (count 1) gives the counter its expiry. One script: atomic, one round trip,
# and no counter is ever left without an expiry between the two commands.
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def _count_on_redis(*, key: str, timeout: int) -> int:
    """This request's number in its window, on the shared Redis: one EVAL of the INCR-first script."""

    def count(client: Any) -> int:
        return int(client.get_client(write=True).eval(_COUNT_SCRIPT, 1, client.make_key(key), timeout))

    return cache_run(count, alias=DEFAULT_CACHE_ALIAS)


def _count_hit(*, key: str, timeout: int, call: Callable[..., Any]) -> int:
    """This request's number in its window without scripts (local memory): SET NX opens the window, INCR counts."""
    for _ in range(2):
        if call("add", key, 1, timeout=timeout):
            return 1
        try:
            return call("incr", key)
        except ValueError:  # the window expired between the two commands: open the next one
            continue
    return call("incr", key)


class OpsMetricsThrottle(ScopedRateThrottle):
    """Fixed-window rate per user (or client address) and scope; the rate is read from settings on each request.

    Each request costs one round trip to Redis, an atomic INCR that sets the window's expiry when it opens it, so
    concurrent requests cannot both read the same history and pass together (DRF's own throttle reads a list and
    writes it back). While the cache is down a per-process counter limits instead of letting everything through.
    """

    def get_rate(self) -> str | None:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No DEFAULT_THROTTLE_RATES entry for scope {self.scope!r}.") from exc

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key, timeout = f"{self.key}:{window}", self.duration + 1
        try:
            if isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache):
                count = _count_on_redis(key=key, timeout=timeout)
            else:
                count = _count_hit(key=key, timeout=timeout, call=_shared)
        except CacheUnavailable:
            count = _count_hit(key=key, timeout=timeout, call=_local)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(0.0, self.window_end - self.now)

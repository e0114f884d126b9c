"""Exclusive slots: one holder of a name at a time across processes (SET NX with an expiry), per process while the
cache is down."""
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from ops_metrics.cache.backend import CacheUnavailable, cache_call, cache_key

logger = logging.getLogger(__name__)

# A holder that dies without releasing its slot blocks the name at most this long.
SLOT_TIMEOUT_SECONDS = 30

_local_held: set[str] = set()
_local_lock = threading.Lock()


class SlotTaken(Exception):
    """Another holder has the slot."""


@contextmanager
def _local_slot(name: str) -> Iterator[None]:
    with _local_lock:
        if name in _local_held:
            raise SlotTaken(name)
        _local_held.add(name)
    try:
        yield
    finally:
        with _local_lock:
            _local_held.discard(name)


def _release(key: str, token: str) -> None:
    # Forced: a server marked unreachable a moment ago (one slow reply) must not keep the slot taken until it expires.
    try:
        if cache_call("get", key, force=True) == token:
            cache_call("delete", key, force=True)
    except CacheUnavailable:
        logger.debug("cache unreachable: slot %s left to expire", key)


@contextmanager
def exclusive_slot(*, name: str) -> Iterator[None]:
    """Hold slot `name` for the block, or raise SlotTaken at once (never waits) if another holder has it.

    Across processes through the cache (`SET NX` of a key that expires after SLOT_TIMEOUT_SECONDS, released on the way
    out); while the cache does not answer, within this process only.
    """
    key, token = cache_key("slot", name), uuid.uuid4().hex
    try:
        taken = cache_call("add", key, token, timeout=SLOT_TIMEOUT_SECONDS)
    except CacheUnavailable:
        with _local_slot(name):
            yield
        return
    if not taken:
        raise SlotTaken(name)
    try:
        yield
    finally:
        _release(key, token)

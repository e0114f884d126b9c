"""Exclusive slots: one holder per name across processes through Redis, per process while Redis is down."""
import socket

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from ops_metrics.cache.backend import cache_key
from ops_metrics.cache.slots import SLOT_TIMEOUT_SECONDS, SlotTaken, exclusive_slot


def test_a_held_slot_refuses_a_second_holder_and_is_released_on_the_way_out():
    with exclusive_slot(name="a"):
        assert 0 < cache.ttl(cache_key("slot", "a")) <= SLOT_TIMEOUT_SECONDS  # a crashed holder's slot expires
        with pytest.raises(SlotTaken), exclusive_slot(name="a"):
            pass
        with exclusive_slot(name="b"):  # another name is another slot
            pass
    assert cache.get(cache_key("slot", "a")) is None
    with exclusive_slot(name="a"):
        pass


def test_a_failing_block_releases_its_slot():
    with pytest.raises(RuntimeError), exclusive_slot(name="a"):
        raise RuntimeError
    with exclusive_slot(name="a"):
        pass


def test_a_slot_taken_over_after_expiry_is_not_released_by_the_first_holder():
    with exclusive_slot(name="a"):
        cache.set(cache_key("slot", "a"), "another holder's token")
    assert cache.get(cache_key("slot", "a")) == "another holder's token"


@pytest.fixture
def cache_down():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        down = {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{listener.getsockname()[1]}/0"}
        with override_settings(CACHES={"default": down}):
            yield


def test_while_the_cache_is_down_the_slot_is_held_per_process(cache_down):
    with exclusive_slot(name="a"):
        with pytest.raises(SlotTaken), exclusive_slot(name="a"):
            pass
        with exclusive_slot(name="b"):
            pass
    with exclusive_slot(name="a"):
        pass


def test_a_slot_is_released_even_when_one_slow_reply_marked_the_cache_unreachable_meanwhile():
    from unittest import mock

    from redis import Redis
    from redis.exceptions import TimeoutError as RedisTimeout

    from ops_metrics.cache.backend import CacheUnavailable, cache_call

    with exclusive_slot(name="user:slow"), mock.patch.object(Redis, "execute_command", side_effect=RedisTimeout("slow")), \
                pytest.raises(CacheUnavailable):
        cache_call("get", "anything")  # the server is now skipped for a few seconds

    raw = Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert not raw.exists(cache.make_key(cache_key("slot", "user:slow")))  # not left taken until it expires

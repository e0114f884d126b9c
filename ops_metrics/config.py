"""The OpsConfig row, read through the cache so that a request costs no query for it."""
import logging

from ops_metrics.cache import GENERATION_KEY, KEY_PREFIX, CacheUnavailable, cache_call, current_generation
from ops_metrics.models import OpsConfig

logger = logging.getLogger("ops_metrics.cache")

CONFIG_KEY = f"{KEY_PREFIX}:config"
# A copy tagged with a generation that has moved on is never served again. The expiry bounds the one case the
# tag cannot catch, an invalidation lost while the cache was unreachable: the config is then re-read within this.
CONFIG_TIMEOUT_SECONDS = 300


def _load_ops_config() -> OpsConfig:
    config, _ = OpsConfig.objects.get_or_create(pk=OpsConfig.SINGLETON_PK)
    return config


def generation_and_config() -> tuple[int, OpsConfig]:
    """The cache generation and the OpsConfig current under it: one cache round trip when both are cached.

    The config is cached tagged with the generation read before loading it, and served only while that is
    still the generation. An OpsConfig save moves the generation on after commit, so a copy read from the
    database while the save commits carries the old tag and is never served afterwards.
    Raises CacheUnavailable if the cache is down.
    """
    found = cache_call("get_many", [GENERATION_KEY, CONFIG_KEY])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        generation = current_generation()
    tagged = found.get(CONFIG_KEY)
    if tagged is not None and tagged[0] == generation:
        return generation, tagged[1]
    config = _load_ops_config()
    try:
        cache_call("set", CONFIG_KEY, (generation, config), timeout=CONFIG_TIMEOUT_SECONDS)
    except CacheUnavailable:
        logger.warning("cache unreachable while storing OpsConfig", exc_info=True)
    return generation, config


def get_ops_config() -> OpsConfig:
    """The single OpsConfig row (created with defaults on first use); its own save takes effect at once."""
    try:
        return generation_and_config()[1]
    except CacheUnavailable:
        logger.warning("cache unreachable: OpsConfig read from the database", exc_info=True)
        return _load_ops_config()

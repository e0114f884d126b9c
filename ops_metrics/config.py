"""The OpsConfig row, read through the cache so that a request costs no query for it."""
import logging

from ops_metrics.cache import KEY_PREFIX, CacheUnavailable, cache_call, current_generation
from ops_metrics.models import OpsConfig

logger = logging.getLogger("ops_metrics.cache")

# Copies cached under generations that have moved on are never read again; they expire after this.
CONFIG_TIMEOUT_SECONDS = 24 * 3600


def _load_ops_config() -> OpsConfig:
    config, _ = OpsConfig.objects.get_or_create(pk=OpsConfig.SINGLETON_PK)
    return config


def ops_config_at(*, generation: int) -> OpsConfig:
    """The OpsConfig cached under `generation`, loaded on a miss; raises CacheUnavailable if the cache is down.

    Keyed by the generation that an OpsConfig save moves on after commit, so a copy read from the database
    while the save commits is stored under the old generation and never read afterwards.
    """
    key = f"{KEY_PREFIX}:{generation}:config"
    config = cache_call("get", key)
    if config is None:
        config = _load_ops_config()
        try:
            cache_call("set", key, config, timeout=CONFIG_TIMEOUT_SECONDS)
        except CacheUnavailable:
            logger.warning("cache unreachable while storing OpsConfig", exc_info=True)
    return config


def get_ops_config() -> OpsConfig:
    """The single OpsConfig row (created with defaults on first use); its own save takes effect at once."""
    try:
        return ops_config_at(generation=current_generation())
    except CacheUnavailable:
        logger.warning("cache unreachable: OpsConfig read from the database", exc_info=True)
        return _load_ops_config()

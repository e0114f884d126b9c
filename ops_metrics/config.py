"""The OpsConfig row, read through the cache so that a request costs no query for it."""
import logging

from django.core.cache import caches

from ops_metrics import conf
from ops_metrics.models import OpsConfig

logger = logging.getLogger("ops_metrics.cache")

CONFIG_CACHE_KEY = "ops_metrics:config"


def get_ops_config() -> OpsConfig:
    """The single OpsConfig row (created with defaults on first use), cached until it is saved."""
    cache = caches[conf.cache_alias()]
    try:
        config = cache.get(CONFIG_CACHE_KEY)
    except Exception:  # noqa: BLE001 - an unreachable cache must not break a request
        logger.warning("cache unreachable while reading OpsConfig", exc_info=True)
        config = None
    if config is None:
        config, _ = OpsConfig.objects.get_or_create(pk=OpsConfig.SINGLETON_PK)
        try:
            cache.set(CONFIG_CACHE_KEY, config, timeout=None)
        except Exception:  # noqa: BLE001
            logger.warning("cache unreachable while storing OpsConfig", exc_info=True)
    return config


def forget_ops_config() -> None:
    """Drop the cached OpsConfig so the next read sees the database."""
    try:
        caches[conf.cache_alias()].delete(CONFIG_CACHE_KEY)
    except Exception:  # noqa: BLE001
        logger.warning("cache unreachable while dropping OpsConfig", exc_info=True)

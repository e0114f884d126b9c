"""System checks: each fires on the misconfiguration it names, and the project's settings pass."""
import pytest
from django.core.checks import run_checks
from django.test import override_settings

LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "checks"}}


def ops_ids() -> list[str]:
    return sorted(message.id for message in run_checks(include_deployment_checks=False) if message.id.startswith("ops_"))


def test_the_project_settings_pass():
    assert ops_ids() == []


@pytest.mark.parametrize(("rates", "expected"), [({}, ["ops_metrics.E001"]), ({"ops_metrics": "lots"}, ["ops_metrics.E002"])])
def test_a_missing_or_malformed_throttle_rate_is_an_error(settings, rates, expected):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert ops_ids() == expected


def test_an_unknown_database_alias_is_an_error(settings):
    settings.OPS_METRICS_DATABASE = "replica"  # not defined without REPLICA_DATABASE_URL
    assert ops_ids() == ["ops_metrics.E003"]


def test_an_unknown_cache_alias_is_an_error(settings):
    settings.OPS_METRICS_CACHE = "metrics"
    assert ops_ids() == ["ops_metrics.E004"]


@override_settings(CACHES=LOCAL_MEMORY)
def test_a_local_memory_cache_with_several_workers_is_warned_about(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    assert ops_ids() == ["ops_metrics.W001"]
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert ops_ids() == []


def test_an_unknown_time_zone_is_an_error(settings):
    settings.TIME_ZONE = "Mars/Olympus_Mons"
    assert ops_ids() == ["ops_metrics.E005"]

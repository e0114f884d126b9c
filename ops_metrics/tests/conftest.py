"""Fixtures of the ops app's tests: the engine a figure is computed with."""
import pytest
from django.db import connection

from conftest import FROZEN_NOW
from ops_metrics.tests.rollups.support import pin_database_clock, unpin_database_clock

ENGINES = ("scan", "rollup")


@pytest.fixture(params=ENGINES)
def engine(request, settings) -> str:
    """Runs the test on each engine; rollup (PostgreSQL only) with the database clock pinned to the module's NOW."""
    if request.param == "rollup":
        if connection.vendor != "postgresql":
            pytest.skip("the rollup summaries exist only on PostgreSQL")
        request.getfixturevalue("db")
        pin_database_clock(getattr(request.module, "NOW", FROZEN_NOW))
        request.addfinalizer(unpin_database_clock)
    settings.OPS_METRICS_ENGINE = request.param
    return request.param

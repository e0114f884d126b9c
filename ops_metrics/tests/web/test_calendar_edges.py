"""Custom ranges at the calendar's edges and empty parameters: both endpoints answer 200 or 400, never a 500."""
from datetime import date, datetime

import pytest
from django.conf import settings
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ops_metrics.constants import EARLIEST_YEAR, LATEST_YEAR

pytestmark = pytest.mark.django_db

PATHS = ["/api/v1/ops/dashboard/metrics", "/api/v1/ops/dashboard/timeseries"]


@pytest.fixture(autouse=True)
def unthrottled():
    rates = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "100000/min"}}
    with override_settings(REST_FRAMEWORK=rates):
        yield


@pytest.fixture
def client(admin_client_api):
    admin_client_api.raise_request_exception = False  # a 500 is an answer to assert on, not an exception
    return admin_client_api


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("start", "end", "param"),
    [
        ("9997-01-01", "9997-01-02", "start"),  # the 3-year limit and the month windows computed year 10000
        ("0001-01-01", "0001-01-02", "start"),  # the comparison window ended before year 1
        ("9999-12-31T00:00:00Z", "9999-12-31T23:59:59.999999-23:59", "start"),  # OverflowError in UTC
        ("2026-11-01", "2201-01-01", "end"),
        (f"{EARLIEST_YEAR - 1}-12-31", f"{EARLIEST_YEAR}-01-02", "start"),
    ],
)
def test_ranges_outside_the_calendar_are_400_naming_the_parameter(client, frozen, path, start, end, param):
    response = client.get(path, {"start": start, "end": end})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]
    assert f"{EARLIEST_YEAR} to {LATEST_YEAR}" in response.json()["errors"][param][0]


@pytest.mark.parametrize("path", PATHS)
def test_the_first_years_of_the_calendar_are_served(client, frozen, path):
    response = client.get(path, {"start": f"{EARLIEST_YEAR}-01-01T00:00:00+14:00", "end": "1900-01-02T00:00:00-12:00"})

    assert response.status_code == 200
    assert response.json()["window"]["start"] == "1899-12-31T10:00:00Z"


@pytest.mark.parametrize("path", PATHS)
def test_empty_parameters_count_as_absent(client, frozen, path):
    # What an HTML form with empty date inputs sends.
    given_empty = client.get(path, {"period": "all", "start": "", "end": ""})
    plain = client.get(path, {"period": "all"})

    assert given_empty.status_code == 200
    assert given_empty.json() == plain.json()
    assert client.get(path, {"period": "", "start": "2026-11-01", "end": "2026-11-02"}).json()["period"] == "custom"


def test_empty_series_parameters_count_as_absent(client, frozen):
    response = client.get(PATHS[1], {"period": "week", "interval": "", "compare": ""})

    assert response.status_code == 200
    assert response.json()["interval"] == "day"
    assert "previous" not in response.json()


# Anything a client could send as a moment: dates, timestamps with any offset or zone, and text.
moments = st.one_of(
    st.dates().map(date.isoformat),
    st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat().replace("+", " ")),
    st.datetimes().map(datetime.isoformat),
    st.text(max_size=40),
)


@pytest.mark.parametrize("path", PATHS)
def test_no_range_gives_a_500(client, configure, path):
    @given(
        start=moments, end=moments, timezone=st.timezones(),
        extra=st.fixed_dictionaries({}, optional={"interval": st.sampled_from(["hour", "day", "week", "month"]),
                                                  "compare": st.sampled_from(["true", "false"])}),
    )
    @hypothesis_settings(
        max_examples=100, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def run(start, end, timezone, extra):
        configure(timezone=timezone.key)
        query = {"start": start, "end": end, **(extra if path.endswith("timeseries") else {})}
        response = client.get(path, query)
        assert response.status_code in {200, 400}, (query, response.status_code, response.content[:300])

    run()

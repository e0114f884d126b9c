"""A client generated from the OpenAPI schema (openapi-python-client) parses real responses of both endpoints."""
import importlib
import subprocess
import sys
import types
import typing
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
import pytest
from django.core.management import call_command

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from complaints.factories import ComplaintFactory
from complaints.models import ComplaintPriority, ComplaintStatus
from ops_metrics.constants import ALL_GROUPS, ALL_SERIES, MetricGroup, Period
from staff.factories import StaffFactory

URL = "/api/v1/ops/dashboard/metrics"
PACKAGE = "ops_metrics_generated_client"
UTC = ZoneInfo("UTC")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)  # a Thursday
# No post-generation hooks: formatting the client (ruff) is irrelevant to parsing and only costs time.
GENERATOR_CONFIG = f"package_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\npost_hooks: []\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> types.SimpleNamespace:
    """The generated package's models and types modules, importable for this module's tests only."""
    work = tmp_path_factory.mktemp("generated_client")
    schema, config, out = work / "schema.json", work / "config.yml", work / "src"
    call_command("spectacular", "--file", str(schema), "--format", "openapi-json")
    config.write_text(GENERATOR_CONFIG)
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(schema), "--config", str(config),
         "--meta", "none", "--output-path", str(out / PACKAGE), "--fail-on-warning"],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr

    sys.path.insert(0, str(out))
    try:
        yield types.SimpleNamespace(
            models=importlib.import_module(f"{PACKAGE}.models"), types=importlib.import_module(f"{PACKAGE}.types"),
        )
    finally:
        sys.path.remove(str(out))
        for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
            del sys.modules[name]


def _is(value, hint) -> bool:
    """Whether a value is of one declared type (a JSON number satisfies float, a bool no number)."""
    if typing.get_origin(hint) is list:
        return isinstance(value, list)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is type(None):
        return value is None
    return isinstance(value, hint)


def _drift(value, hint, path: str, generated) -> list[str]:
    """Undocumented keys, and values of another type than the generated model declares (it does not check)."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        matching = [arg for arg in typing.get_args(hint) if _is(value, arg)]
        return _drift(value, matching[0], path, generated) if matching else [f"{path} = {value!r} is not {hint}"]
    if not _is(value, hint):
        return [f"{path} = {value!r} is not {hint}"]
    if typing.get_origin(hint) is list:
        (item_hint,) = typing.get_args(hint)
        return [
            problem for i, item in enumerate(value) for problem in _drift(item, item_hint, f"{path}[{i}]", generated)
        ]
    if not attrs.has(hint):
        return []
    hints = typing.get_type_hints(hint, localns=vars(generated.models))
    return [f"{path}.{key} is undocumented" for key in value.additional_properties] + [
        problem
        for field in attrs.fields(hint) if field.name != "additional_properties"
        for problem in _drift(getattr(value, field.name), hints[field.name], f"{path}.{field.name}", generated)
    ]


def _parse(response, model, generated):
    parsed = model.from_dict(response.json())
    assert _drift(parsed, model, model.__name__, generated) == []
    return parsed


def _at(hour: int, minute: int) -> datetime:
    """A time on the frozen day."""
    return NOW.replace(hour=hour, minute=minute)


@pytest.fixture
def data_set(db, frozen):
    """Three bookings (150.00 revenue), four complaints (one breached, one at risk, two resolved), two staff."""
    ana, ben = StaffFactory(name="Ana"), StaffFactory(name="Ben")
    nine, eight = _at(9, 0), _at(8, 0)
    BookingFactory(status=BookingStatus.CONFIRMED, total_amount=Decimal("100.00"), created_at=nine, assigned_staff=ana)
    BookingFactory(status=BookingStatus.COMPLETED, total_amount=Decimal("50.00"), created_at=nine)
    BookingFactory(status=BookingStatus.PENDING, total_amount=Decimal("30.00"), created_at=nine, assigned_staff=ana)
    ComplaintFactory(  # response overdue: breached
        priority=ComplaintPriority.HIGH, status=ComplaintStatus.OPEN, created_at=eight, assigned_to=ben,
        response_due_at=_at(9, 30), resolution_due_at=_at(16, 0),
    )
    ComplaintFactory(  # response due within the hour: at risk
        priority=ComplaintPriority.CRITICAL, status=ComplaintStatus.IN_PROGRESS, created_at=eight, assigned_to=ben,
        response_due_at=_at(11, 0), resolution_due_at=_at(16, 0),
    )
    ComplaintFactory(  # resolved in time: responded after 0.5 h, resolved after 2 h
        priority=ComplaintPriority.LOW, status=ComplaintStatus.RESOLVED, created_at=eight,
        response_due_at=_at(9, 0), resolution_due_at=_at(12, 0),
        first_response_at=_at(8, 30), resolved_at=_at(10, 0),
    )
    ComplaintFactory(  # resolved after a late response (1 h, due after 15 min): not compliant
        priority=ComplaintPriority.MEDIUM, status=ComplaintStatus.CLOSED, created_at=eight,
        response_due_at=_at(8, 15), resolution_due_at=_at(12, 0),
        first_response_at=_at(9, 0), resolved_at=_at(10, 0),
    )
    return ana, ben


def test_an_admin_response_with_every_group_parses(generated, admin_client_api, data_set):
    ana, ben = data_set
    response = admin_client_api.get(URL, {"period": Period.TODAY})
    assert response.status_code == 200

    parsed = _parse(response, generated.models.DashboardMetricsResponse, generated)

    assert parsed.period == generated.models.ReportedPeriodEnum.TODAY
    assert parsed.window.start == datetime(2026, 11, 26, tzinfo=UTC)
    assert parsed.generated_at == NOW
    assert parsed.redacted == []
    assert parsed.bookings.total == 3
    assert (parsed.bookings.by_status.pending, parsed.bookings.by_status.cancelled) == (1, 0)
    assert parsed.bookings.growth_rate is None
    assert parsed.revenue.total == "150.00"
    assert parsed.revenue.average_order_value == "75.00"
    assert parsed.revenue.by_status.pending == "30.00"
    complaints = parsed.complaints
    assert (complaints.total, complaints.unresolved, complaints.avg_resolution_hours) == (4, 2, 2.0)
    assert parsed.complaints.by_status.closed == 1
    assert (parsed.sla.at_risk, parsed.sla.breached) == (1, 1)
    assert (parsed.sla.by_priority.high.breached, parsed.sla.by_priority.critical.at_risk) == (1, 1)
    sla = parsed.sla
    assert (sla.compliance_rate, sla.avg_response_hours, sla.avg_resolution_hours) == (50.0, 0.75, 2.0)
    assert (parsed.realtime.pending_bookings, parsed.realtime.critical_complaints) == (2, 1)
    workload = parsed.realtime.staff_workload
    assert [(row.staff_id, row.name, row.bookings, row.complaints, row.total) for row in workload] == [
        (ana.pk, "Ana", 2, 0, 2), (ben.pk, "Ben", 0, 2, 2),
    ]
    assert {name for name in ALL_GROUPS if getattr(parsed, name) is generated.types.UNSET} == set()


def test_a_reader_response_parses_without_revenue(generated, reader_client_api, data_set):
    response = reader_client_api.get(URL, {"period": Period.TODAY})
    assert response.status_code == 200

    parsed = _parse(response, generated.models.DashboardMetricsResponse, generated)

    assert parsed.revenue is generated.types.UNSET
    assert parsed.redacted == [generated.models.RedactedEnum.REVENUE]
    assert parsed.redacted == [MetricGroup.REVENUE]
    assert parsed.bookings.total == 3


def test_an_all_time_response_parses_with_a_null_window_start(generated, admin_client_api, data_set):
    response = admin_client_api.get(URL, {"period": Period.ALL, "include": MetricGroup.BOOKINGS})
    assert response.status_code == 200

    parsed = _parse(response, generated.models.DashboardMetricsResponse, generated)

    assert parsed.period == generated.models.ReportedPeriodEnum.ALL
    assert parsed.window.start is None
    assert parsed.window.end == NOW
    assert parsed.comparison.current.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert parsed.bookings.total == 3
    assert parsed.complaints is generated.types.UNSET


def test_a_400_body_parses_with_the_error_model(generated, admin_client_api, frozen):
    response = admin_client_api.get(URL, {"period": "fortnight"})
    assert response.status_code == 400

    parsed = _parse(response, generated.models.QueryErrorResponse, generated)

    assert len(parsed.errors.period) == 1
    assert parsed.errors.include is generated.types.UNSET
    assert parsed.valid.period == Period.values
    assert parsed.valid.include == list(ALL_GROUPS)
    assert all(isinstance(value, generated.models.MetricGroupEnum) for value in parsed.valid.include)


def test_a_403_body_parses_with_the_refusal_model(generated, plain_client_api, frozen):
    response = plain_client_api.get(URL)
    assert response.status_code == 403

    parsed = _parse(response, generated.models.ErrorDetail, generated)

    assert parsed.detail


TIMESERIES_URL = "/api/v1/ops/dashboard/timeseries"


def test_an_admin_time_series_with_its_comparison_parses(generated, admin_client_api, data_set):
    response = admin_client_api.get(TIMESERIES_URL, {"period": Period.TODAY, "compare": "true"})
    assert response.status_code == 200

    parsed = _parse(response, generated.models.TimeseriesResponse, generated)

    assert parsed.period == generated.models.ReportedPeriodEnum.TODAY
    assert parsed.interval == generated.models.IntervalEnum.HOUR
    assert len(parsed.buckets) == 11
    assert parsed.buckets[9] == _at(9, 0)
    assert parsed.series.bookings_created[9] == 3
    assert parsed.series.revenue[9] == "150.00"
    assert parsed.series.sla_compliance_rate[10] == 50.0
    assert parsed.series.avg_response_hours[8] == 0.5
    assert parsed.series.avg_resolution_hours[9] is None
    assert parsed.previous.window.end == datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
    assert parsed.previous.series.bookings_created == [0] * 11


def test_a_reader_time_series_over_a_custom_range_parses_without_revenue(generated, reader_client_api, data_set):
    response = reader_client_api.get(
        TIMESERIES_URL, {"start": "2026-11-20", "end": "2026-11-27", "metrics": "revenue,complaints_created"}
    )
    assert response.status_code == 200

    parsed = _parse(response, generated.models.TimeseriesResponse, generated)

    assert parsed.period == generated.models.ReportedPeriodEnum.CUSTOM
    assert parsed.interval == generated.models.IntervalEnum.DAY
    assert parsed.series.revenue is generated.types.UNSET
    assert parsed.series.complaints_created == [0, 0, 0, 0, 0, 0, 4]
    assert parsed.redacted == [generated.models.RedactedEnum.REVENUE]
    assert parsed.previous is generated.types.UNSET


def test_a_time_series_400_body_parses_with_its_error_model(generated, admin_client_api, frozen):
    response = admin_client_api.get(TIMESERIES_URL, {"period": Period.ALL, "compare": "true"})
    assert response.status_code == 400

    parsed = _parse(response, generated.models.TimeseriesQueryErrorResponse, generated)

    assert len(parsed.errors.compare) == 1
    assert parsed.errors.metrics is generated.types.UNSET
    assert parsed.valid.metrics == list(ALL_SERIES)
    assert all(isinstance(value, generated.models.SeriesMetricEnum) for value in parsed.valid.metrics)

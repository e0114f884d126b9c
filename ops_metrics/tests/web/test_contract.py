"""Schemathesis against the in-process WSGI app: every response conforms to the schema, no input gives a 500."""
from decimal import Decimal

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from complaints.factories import ComplaintFactory
from ops_metrics.models import OpsAuditLog
from staff.factories import StaffFactory

PATHS = [
    "/api/v1/ops/dashboard/metrics", "/api/v1/ops/dashboard/timeseries", "/api/v1/ops/dashboard/records",
    "/api/v1/ops/dashboard/staff",
]
EXAMPLES = 50

pytestmark = pytest.mark.django_db


@pytest.fixture(params=PATHS)
def operation(request):
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    schema.app = get_wsgi_application()  # Django's, not config.wsgi's: no request timeouts leak into other tests
    return schema[request.param]["GET"]


def _schema_cannot_tell(query: dict | None) -> bool:
    """Whether a query's validity depends on relations between parameters that OpenAPI cannot express.

    start and end: a pair, after one another, at most 3 years apart, not with period; compare not with period=all
    (the default); staff: ids of existing staff members only; cursor: one the server signed; ordering by revenue:
    ops.admin only; hour buckets within the cost budget (buckets times metrics, which depends on the window's length).
    Such a generated query may be rightly refused though each value matches the schema; the 400 is still checked.
    """
    query = query or {}
    all_compared = query.get("compare") in (True, "true") and query.get("period", "all") == "all"
    revenue_ordering = "revenue" in str(query.get("ordering", ""))
    return "start" in query or "end" in query or "staff" in query or "cursor" in query or revenue_ordering \
        or all_compared or query.get("interval") == "hour"


def _has_empty_value(query: dict | None) -> bool:
    """Whether a query gives a parameter as empty, which counts as absent (docs/api.md): rightly served."""
    return any(isinstance(value, str) and not value.strip() for value in (query or {}).values())


@pytest.fixture(autouse=True)
def in_process_requests():
    """Keep the test's transaction open across WSGI requests, as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    rates = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "100000/min"}}
    with override_settings(REST_FRAMEWORK=rates):
        yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def some_data():
    staff = StaffFactory(name="Avery")
    BookingFactory(status=BookingStatus.CONFIRMED, total_amount=Decimal("1250.50"), assigned_staff=staff)
    BookingFactory(status=BookingStatus.CANCELLED, total_amount=Decimal("80.00"))
    ComplaintFactory(assigned_to=staff)


def _fuzz(operation, user, mode: GenerationMode) -> int:
    """Run `EXAMPLES` generated cases as `user` and return how many requests were made."""
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    calls = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def run(case):
        excluded = [positive_data_acceptance] if _schema_cannot_tell(case.query) else []
        excluded += [negative_data_rejection] if _has_empty_value(case.query) else []
        calls.append(case.call_and_validate(headers=headers, excluded_checks=excluded).status_code)

    run()
    return len(calls)


@pytest.mark.parametrize("user_fixture", ["admin_user", "reader_user"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_response_conforms_to_the_schema(request, operation, user_fixture, mode):
    user = request.getfixturevalue(user_fixture)

    calls = _fuzz(operation, user, mode)

    assert calls >= 10
    # Every call is audited, allowed or refused (generated queries rejected with 400 included).
    assert OpsAuditLog.objects.filter(user=user).count() == calls

"""The audit trail the metrics endpoint leaves: one row per allowed or refused authenticated request."""
import importlib
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from rest_framework.test import APIClient

from ops_metrics.constants import ALL_GROUPS, AuditAction, ResourceType
from ops_metrics.models import OpsAuditLog
from ops_metrics.services.dashboard import record_audit
from staff.factories import StaffFactory, UserFactory

URL = "/api/v1/ops/dashboard/metrics"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(frozen):
    """Every audit row of this module is written at the same instant."""


def rows() -> list[tuple]:
    return list(
        OpsAuditLog.objects.order_by("id").values_list(
            "user__username", "staff__name", "action", "resource_type", "period", "include", "ip_address"
        )
    )


def test_allowed_request_leaves_one_view_row(admin_user, admin_client_api):
    StaffFactory(user=admin_user, name="Ada Admin")

    admin_client_api.get(URL, {"period": "week", "include": "sla,bookings"})

    assert rows() == [
        ("ops_admin_user", "Ada Admin", AuditAction.VIEW_METRICS, ResourceType.DASHBOARD_METRICS, "week",
         ["bookings", "sla"], "127.0.0.1"),
    ]


def test_row_records_the_groups_asked_for_not_those_shown(reader_client_api):
    response = reader_client_api.get(URL)

    assert response.json()["redacted"] == ["revenue"]
    assert rows() == [
        ("ops_reader_user", None, AuditAction.VIEW_METRICS, ResourceType.DASHBOARD_METRICS, "all", list(ALL_GROUPS),
         "127.0.0.1"),
    ]


def test_cache_hits_and_304s_are_audited(admin_client_api):
    first = admin_client_api.get(URL, {"include": "sla"})
    hit = admin_client_api.get(URL, {"include": "sla"})
    not_modified = admin_client_api.get(URL, {"include": "sla"}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert (first["X-Cache"], hit["X-Cache"], not_modified.status_code) == ("miss", "hit", 304)
    assert [row[2] for row in rows()] == [AuditAction.VIEW_METRICS] * 3


def test_permission_refusal_leaves_one_denied_row(plain_client_api):
    response = plain_client_api.get(URL, {"period": "today", "include": "revenue"})

    assert response.status_code == 403
    assert rows() == [
        ("plain_user", None, AuditAction.VIEW_METRICS_DENIED, ResourceType.DASHBOARD_METRICS, "today", ["revenue"],
         "127.0.0.1"),
    ]


def test_refusal_with_an_unreadable_query_records_no_query(plain_client_api):
    assert plain_client_api.get(URL, {"period": "ye\x00ar"}).status_code == 403

    assert rows() == [("plain_user", None, AuditAction.VIEW_METRICS_DENIED, ResourceType.DASHBOARD_METRICS, "", [],
                       "127.0.0.1")]


def test_html_refusal_is_audited_once(plain_user):
    client = Client()
    client.force_login(plain_user)

    assert client.get(URL, HTTP_ACCEPT="text/html").status_code == 403
    assert [row[2] for row in rows()] == [AuditAction.VIEW_METRICS_DENIED]


def test_anonymous_and_inactive_requests_leave_no_row(reader_user, reader_client_api, anonymous_client_api):
    assert anonymous_client_api.get(URL).status_code == 401
    reader_user.is_active = False
    reader_user.save()
    assert reader_client_api.get(URL).status_code == 401

    assert rows() == []


def test_bad_query_from_a_permitted_user_leaves_one_denied_row_without_the_query(admin_client_api):
    assert admin_client_api.get(URL, {"period": "year", "include": "sla"}).status_code == 400

    assert rows() == [("ops_admin_user", None, AuditAction.VIEW_METRICS_DENIED, ResourceType.DASHBOARD_METRICS, "", [],
                       "127.0.0.1")]


def test_html_bad_query_is_audited_once(admin_user):
    client = Client()
    client.force_login(admin_user)

    assert client.get(URL, {"period": "year"}, HTTP_ACCEPT="text/html").status_code == 400
    assert [row[2] for row in rows()] == [AuditAction.VIEW_METRICS_DENIED]


def test_throttled_request_leaves_one_denied_row_with_the_query(admin_client_api):
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "1/min"}}
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert admin_client_api.get(URL, {"include": "sla"}).status_code == 200
        assert admin_client_api.get(URL, {"period": "week", "include": "sla,bookings"}).status_code == 429

    assert rows() == [
        ("ops_admin_user", None, AuditAction.VIEW_METRICS, ResourceType.DASHBOARD_METRICS, "all", ["sla"], "127.0.0.1"),
        ("ops_admin_user", None, AuditAction.VIEW_METRICS_DENIED, ResourceType.DASHBOARD_METRICS, "week",
         ["bookings", "sla"], "127.0.0.1"),
    ]


def test_throttled_request_with_an_unreadable_query_records_no_query(admin_client_api):
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "1/min"}}
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert admin_client_api.get(URL, {"include": "sla"}).status_code == 200
        assert admin_client_api.get(URL, {"period": "year"}).status_code == 429

    assert rows()[1] == (
        "ops_admin_user", None, AuditAction.VIEW_METRICS_DENIED, ResourceType.DASHBOARD_METRICS, "", [], "127.0.0.1"
    )


def test_unsupported_method_from_a_permitted_user_leaves_one_denied_row(admin_client_api):
    assert admin_client_api.post(f"{URL}?period=today&include=sla").status_code == 405

    assert rows() == [("ops_admin_user", None, AuditAction.VIEW_METRICS_DENIED, ResourceType.DASHBOARD_METRICS, "today",
                       ["sla"], "127.0.0.1")]


@pytest.mark.parametrize(
    ("request_kwargs", "status", "asked"),
    [
        ({"data": {"period": "week"}, "HTTP_ACCEPT": "application/xml"}, 406, ("week", ALL_GROUPS)),
        ({"path": URL + "?" + "&".join(f"p{i}=1" for i in range(1100))}, 400, ("", [])),  # too many to parse
    ],
)
def test_negotiation_and_oversized_refusals_leave_one_denied_row(admin_client_api, request_kwargs, status, asked):
    response = admin_client_api.get(request_kwargs.pop("path", URL), **request_kwargs)

    assert response.status_code == status
    assert [row[2:5] for row in rows()] == [("view_metrics_denied", "dashboard_metrics", asked[0])]
    assert OpsAuditLog.objects.get().include == list(asked[1])


def test_negotiation_refusal_without_valid_credentials_leaves_no_row(anonymous_client_api):
    anonymous_client_api.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    assert anonymous_client_api.get(URL, HTTP_ACCEPT="application/xml").status_code in (401, 406)
    assert OpsAuditLog.objects.count() == 0


def test_superuser_request_is_audited():
    client = APIClient()
    client.force_authenticate(UserFactory(username="root", is_superuser=True))

    client.get(URL, {"include": "revenue"})

    assert rows() == [("root", None, AuditAction.VIEW_METRICS, ResourceType.DASHBOARD_METRICS, "all", ["revenue"],
                       "127.0.0.1")]


def test_x_forwarded_for_is_ignored_by_default(admin_client_api):
    admin_client_api.get(URL, {"include": "sla"}, HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="10.0.0.2")

    assert rows()[0][6] == "10.0.0.2"


@pytest.mark.parametrize(
    ("remote_addr", "expected"),
    [
        ("fe80::1%eth0", "fe80::1"),
        # Too long for Django's own IPv6 cleaning, which would pass it on to PostgreSQL's inet as it is.
        ("2001:db8:1111:2222:3333:4444:5555:6666%eth0", "2001:db8:1111:2222:3333:4444:5555:6666"),
    ],
)
def test_scoped_ipv6_address_is_stored_without_its_zone(admin_client_api, remote_addr, expected):
    response = admin_client_api.get(URL, {"include": "sla"}, REMOTE_ADDR=remote_addr)

    assert response.status_code == 200
    assert rows()[0][6] == expected


@override_settings(OPS_METRICS_TRUST_X_FORWARDED_FOR=True)
@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the client-supplied first entry is not trusted
        ("2001:db8::1", "2001:db8::1"),
        ("not-an-ip", None),
        ("fe80::1%" + "x" * 40, "fe80::1"),  # PostgreSQL's inet has no zone index
    ],
)
def test_x_forwarded_for_last_entry_when_trusted(admin_client_api, forwarded, expected):
    admin_client_api.get(URL, {"include": "sla"}, HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")

    assert rows()[0][6] == expected


def test_record_audit_attaches_the_users_staff_record():
    user = UserFactory(username="sam")
    StaffFactory(user=user, name="Sam Staff")

    entry = record_audit(
        user=user, action=AuditAction.VIEW_METRICS, period="month", include=("bookings",), ip_address=None
    )

    entry.refresh_from_db()
    assert (entry.user, entry.staff.name, entry.include, entry.ip_address) == (user, "Sam Staff", ["bookings"], None)
    assert entry.created_at == datetime(2026, 11, 26, 10, 30, tzinfo=ZoneInfo("UTC"))


def test_record_audit_is_one_insert_that_finds_the_staff_record(django_assert_num_queries):
    user = UserFactory(username="sam")
    StaffFactory(name="Someone Else", user=UserFactory())
    StaffFactory(user=user, name="Sam Staff")
    StaffFactory(name="No Login")

    with django_assert_num_queries(1) as captured:
        record_audit(user=user, action=AuditAction.VIEW_METRICS, period="all", include=("sla",), ip_address=None)

    assert captured.captured_queries[0]["sql"].startswith("INSERT INTO")
    assert rows() == [
        ("sam", "Sam Staff", AuditAction.VIEW_METRICS, ResourceType.DASHBOARD_METRICS, "all", ["sla"], None)
    ]


def test_the_username_is_written_with_the_row_and_outlives_the_user(reader_user):
    record_audit(user=reader_user, action=AuditAction.VIEW_METRICS, period="week", include=["sla"], ip_address=None)

    reader_user.delete()

    row = OpsAuditLog.objects.get()
    assert (row.user_id, row.username) == (None, "ops_reader_user")
    assert "ops_reader_user" in str(row)


def test_the_migration_fills_the_username_of_existing_rows(reader_user):
    migration = importlib.import_module("ops_metrics.migrations.0009_audit_username")
    kept = OpsAuditLog.objects.create(user=reader_user, action=AuditAction.VIEW_METRICS)
    orphan = OpsAuditLog.objects.create(user=None, action=AuditAction.VIEW_METRICS)

    migration.fill_usernames(django_apps, SimpleNamespace(connection=connection))

    assert OpsAuditLog.objects.get(pk=kept.pk).username == "ops_reader_user"
    assert OpsAuditLog.objects.get(pk=orphan.pk).username == ""

"""GET /api/v1/ops/dashboard/metrics: access, validation, rendering, caching headers, throttling."""
import logging
import socket
from datetime import datetime
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client, override_settings
from redis.connection import AbstractConnection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from complaints.factories import ComplaintFactory
from complaints.models import ComplaintPriority, ComplaintStatus
from ops_metrics.constants import ALL_GROUPS, MetricGroup, Period
from ops_metrics.models import OpsAuditLog, OpsConfig
from ops_metrics.web.params import RANGE_FORMATS, STAFF_FORMATS
from staff.factories import StaffFactory, UserFactory

URL = "/api/v1/ops/dashboard/metrics"
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=ZoneInfo("UTC"))  # a Thursday

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_data_set(frozen):
    """Two bookings today (150.00 of revenue), one cancelled last month, one critical complaint."""
    this_morning = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("UTC"))
    BookingFactory(status=BookingStatus.CONFIRMED, total_amount=Decimal("100.00"), created_at=this_morning)
    BookingFactory(status=BookingStatus.COMPLETED, total_amount=Decimal("50.00"), created_at=this_morning)
    BookingFactory(
        status=BookingStatus.CANCELLED, total_amount=Decimal("999.99"),
        created_at=datetime(2026, 10, 15, 9, 0, tzinfo=ZoneInfo("UTC")),
    )
    ComplaintFactory(priority=ComplaintPriority.CRITICAL, status=ComplaintStatus.OPEN, created_at=this_morning)


def test_admin_gets_every_group_with_exact_figures(admin_client_api, small_data_set):
    response = admin_client_api.get(URL, {"period": "today"})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["period", "timezone", "window", "comparison", "generated_at", *ALL_GROUPS, "redacted"]
    assert body["period"] == "today"
    assert body["timezone"] == "UTC"
    assert body["window"] == {"start": "2026-11-26T00:00:00Z", "end": "2026-11-26T10:30:00Z"}
    assert body["comparison"]["previous"] == {"start": "2026-11-25T00:00:00Z", "end": "2026-11-25T10:30:00Z"}
    assert body["generated_at"] == "2026-11-26T10:30:00Z"
    assert body["redacted"] == []
    bookings = body["bookings"]
    assert bookings["total"] == 2
    assert bookings["by_status"] == {"pending": 0, "confirmed": 1, "in_progress": 0, "completed": 1, "cancelled": 0}
    assert (bookings["today"], bookings["week"], bookings["month"], bookings["previous"]) == (2, 2, 2, 0)
    assert bookings["growth_rate"] is None
    revenue = body["revenue"]
    assert revenue["total"] == "150.00"
    assert revenue["average_order_value"] == "75.00"
    assert revenue["by_status"]["cancelled"] == "0.00"
    assert revenue["currency"] == "USD"
    assert body["complaints"]["by_priority"] == {"low": 0, "medium": 0, "high": 0, "critical": 1}
    assert body["realtime"]["critical_complaints"] == 1


def test_all_period_has_a_null_window_start(admin_client_api, small_data_set):
    body = admin_client_api.get(URL).json()

    assert body["period"] == Period.ALL
    assert body["window"]["start"] is None
    assert body["bookings"]["total"] == 3
    assert body["revenue"]["by_status"]["cancelled"] == "999.99"


def test_reader_gets_revenue_withheld(reader_client_api, small_data_set):
    body = reader_client_api.get(URL).json()

    assert "revenue" not in body
    assert body["redacted"] == [MetricGroup.REVENUE]
    assert body["bookings"]["total"] == 3


def test_reader_not_asking_for_revenue_has_nothing_redacted(reader_client_api, small_data_set):
    body = reader_client_api.get(URL, {"include": "bookings"}).json()

    assert [key for key in body if key in ALL_GROUPS] == ["bookings"]
    assert body["redacted"] == []


def test_reader_asking_only_for_revenue_gets_the_envelope(reader_client_api, small_data_set):
    response = reader_client_api.get(URL, {"include": "revenue"})

    assert response.status_code == 200
    assert [key for key in response.json() if key in ALL_GROUPS] == []
    assert response.json()["redacted"] == ["revenue"]


def test_superuser_is_an_admin(small_data_set):
    client = APIClient()
    client.force_authenticate(UserFactory(username="root", is_superuser=True))

    body = client.get(URL, {"include": "revenue"}).json()

    assert body["revenue"]["total"] == "150.00"
    assert body["revenue"]["by_status"]["cancelled"] == "999.99"
    assert body["redacted"] == []


def test_include_is_deduplicated_trimmed_and_ordered(admin_client_api, frozen):
    body = admin_client_api.get(URL, {"include": " sla,bookings , sla"}).json()

    assert [key for key in body if key in ALL_GROUPS] == ["bookings", "sla"]


def test_no_credentials_is_401_with_a_token_challenge(anonymous_client_api):
    response = anonymous_client_api.get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token'


def test_bad_token_is_401(anonymous_client_api):
    anonymous_client_api.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    assert anonymous_client_api.get(URL).status_code == 401


def test_user_without_ops_permission_is_403(plain_client_api):
    response = plain_client_api.get(URL)

    assert response.status_code == 403
    assert "ops.read" in response.json()["detail"]


def test_inactive_user_with_a_token_is_refused(reader_user, reader_client_api):
    reader_user.is_active = False
    reader_user.save()

    response = reader_client_api.get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_inactive_user_with_a_session_is_refused(reader_user):
    client = APIClient()
    client.force_login(reader_user)
    reader_user.is_active = False
    reader_user.save()

    assert client.get(URL).status_code == 401


def test_session_login_works(reader_user, frozen):
    client = APIClient()
    assert client.login(username=reader_user.username, password="password")

    assert client.get(URL, {"include": "bookings"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "param", "fragment"),
    [
        ("period=year", "period", "'year'"),
        ("include=bookings,money", "include", "'money'"),
        ("include=", "include", "at least one of"),
        ("include=,%20,", "include", "at least one of"),
        ("period=today&period=week", "period", "more than once"),
        ("include=sla&include=bookings", "include", "more than once"),
        ("period=to%00day", "period", "NUL"),
        ("include=" + "b" * 201, "include", "at most 200"),
    ],
)
def test_bad_query_is_400_naming_the_parameter_and_the_valid_values(admin_client_api, query, param, fragment):
    response = admin_client_api.get(f"{URL}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid query parameters."
    assert list(body["errors"]) == [param]
    assert fragment in body["errors"][param][0]
    assert body["valid"] == {
        "period": ["today", "week", "month", "all"], "include": list(ALL_GROUPS), "start": RANGE_FORMATS,
        "end": RANGE_FORMATS, "staff": STAFF_FORMATS,
    }


@pytest.mark.parametrize("stored", ["Mars/Olympus_Mons", "", "../etc/passwd"])
def test_invalid_stored_timezone_falls_back_to_the_project_timezone(admin_client_api, frozen, settings, caplog, stored):
    settings.TIME_ZONE = "Europe/Berlin"
    OpsConfig.objects.create()
    OpsConfig.objects.update(timezone=stored)  # bypasses the field's validation

    with caplog.at_level(logging.ERROR, logger="ops_metrics"):
        response = admin_client_api.get(URL, {"period": "today", "include": "bookings"})

    assert response.status_code == 200
    assert response.json()["timezone"] == "Europe/Berlin"
    assert response.json()["window"] == {"start": "2026-11-26T00:00:00+01:00", "end": "2026-11-26T11:30:00+01:00"}
    assert f"OpsConfig.timezone {stored!r} is not an IANA timezone name; using Europe/Berlin" in caplog.messages


def test_oversized_query_string_is_a_json_400(admin_client_api, frozen):
    response = admin_client_api.get(URL + "?" + "&".join(f"p{i}=1" for i in range(1100)))

    assert response.status_code == 400
    assert response.json() == {"detail": "The query string has too many parameters."}


def test_agreeing_repeated_parameters_are_accepted(admin_client_api, frozen):
    response = admin_client_api.get(f"{URL}?period=week&period=week&include=sla&include=sla")

    assert response.status_code == 200
    assert response.json()["period"] == "week"


def test_unknown_parameters_are_ignored(admin_client_api, frozen):
    response = admin_client_api.get(URL, {"colour": "blue"})

    body = response.json()
    assert response.status_code == 200
    assert body["period"] == "all"
    assert [key for key in body if key in ALL_GROUPS] == list(ALL_GROUPS)


def test_trailing_slash_is_served_without_redirect(admin_client_api, frozen):
    assert admin_client_api.get(URL + "/", {"include": "sla"}).status_code == 200
    assert admin_client_api.get(URL, {"include": "sla"}).status_code == 200


def test_response_headers(admin_client_api, frozen):
    response = admin_client_api.get(URL, {"include": "bookings"})

    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert {"private", "no-cache"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"Authorization", "Cookie"} <= {part.strip() for part in response["Vary"].split(",")}
    assert response["X-Cache"] == "miss"


def test_second_request_is_a_cache_hit_and_if_none_match_gives_304(admin_client_api, frozen):
    first = admin_client_api.get(URL, {"include": "bookings"})
    second = admin_client_api.get(URL, {"include": "bookings"}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.status_code == 304
    assert second.content == b""
    assert second["ETag"] == first["ETag"]
    assert "private" in second["Cache-Control"]


def test_etag_stops_matching_once_a_write_commits(admin_client_api, frozen, django_capture_on_commit_callbacks):
    first = admin_client_api.get(URL, {"include": "bookings"})
    assert admin_client_api.get(URL, {"include": "bookings"}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    with django_capture_on_commit_callbacks(execute=True):
        BookingFactory(created_at=datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("UTC")))
    after = admin_client_api.get(URL, {"include": "bookings"}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert (after.status_code, after["X-Cache"]) == (200, "miss")
    assert after["ETag"] != first["ETag"]
    assert after.json()["bookings"]["today"] == 1


def test_cache_hit_reads_no_metrics_table(admin_client_api, small_data_set, django_assert_num_queries):
    admin_client_api.get(URL)

    # token + user, the audit insert (its staff looked up inside it); the ops permissions come from the cache
    with django_assert_num_queries(2) as captured:
        assert admin_client_api.get(URL)["X-Cache"] == "hit"

    sql = " ".join(query["sql"] for query in captured.captured_queries)
    assert "bookings_booking" not in sql and "complaints_complaint" not in sql


def test_stale_etag_gets_the_full_body(admin_client_api, frozen):
    response = admin_client_api.get(URL, {"include": "bookings"}, HTTP_IF_NONE_MATCH='"stale", W/"older"')

    assert response.status_code == 200
    assert response.json()["bookings"]["total"] == 0


def test_weak_and_wildcard_etags_match(admin_client_api, frozen):
    etag = admin_client_api.get(URL, {"include": "sla"})["ETag"]

    assert admin_client_api.get(URL, {"include": "sla"}, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert admin_client_api.get(URL, {"include": "sla"}, HTTP_IF_NONE_MATCH="*").status_code == 304


def test_redacted_response_has_its_own_etag(admin_client_api, reader_client_api, frozen):
    admin = admin_client_api.get(URL, {"include": "bookings"})
    reader = reader_client_api.get(URL, {"include": "bookings,revenue"})

    assert admin.json()["bookings"] == reader.json()["bookings"]
    assert admin["ETag"] != reader["ETag"]
    assert reader_client_api.get(URL, {"include": "bookings,revenue"}, HTTP_IF_NONE_MATCH=admin["ETag"]).status_code == 200


def test_throttled_after_the_configured_rate(admin_client_api, frozen):
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "2/min"}}
    with override_settings(REST_FRAMEWORK=rest_framework):
        statuses = [admin_client_api.get(URL, {"include": "sla"}).status_code for _ in range(3)]
        refused = admin_client_api.get(URL, {"include": "sla"})

    assert statuses == [200, 200, 429]
    assert int(refused["Retry-After"]) > 0
    assert "throttled" in refused.json()["detail"]


def test_throttle_counts_per_user(admin_client_api, reader_client_api, frozen):
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "1/min"}}
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert admin_client_api.get(URL, {"include": "sla"}).status_code == 200
        assert reader_client_api.get(URL, {"include": "sla"}).status_code == 200
        assert admin_client_api.get(URL, {"include": "sla"}).status_code == 429


@pytest.fixture(params=["closed", "hanging"])
def unreachable_cache(request):
    """The default cache pointed at a closed port, or at one that accepts connections and never answers."""
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache", "run with REDIS_URL set"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        if request.param == "hanging":
            listener.listen(16)  # the kernel completes handshakes into the backlog; nothing ever reads
        down = {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{listener.getsockname()[1]}/0"}
        with override_settings(CACHES={"default": down}):
            yield


def test_unreachable_cache_costs_one_connection_attempt_and_one_traceback(
    admin_client_api, small_data_set, unreachable_cache, caplog
):
    connect = AbstractConnection.connect
    with (
        mock.patch.object(AbstractConnection, "connect", autospec=True, side_effect=connect) as tries,
        caplog.at_level(logging.DEBUG, logger="ops_metrics"),
    ):
        responses = [admin_client_api.get(URL, {"include": "bookings"}) for _ in range(3)]

    assert [(r.status_code, r["X-Cache"], r.json()["bookings"]["total"]) for r in responses] == [(200, "miss", 3)] * 3
    assert tries.call_count == 1  # the throttle's first command; then the backoff spares every later operation
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is not None  # logged once, with one traceback
    assert OpsAuditLog.objects.count() == 3


def test_the_throttle_keeps_limiting_per_process_while_the_cache_is_down(
    admin_client_api, small_data_set, unreachable_cache
):
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ops_metrics": "2/min"}}
    with override_settings(REST_FRAMEWORK=rest_framework):
        statuses = [admin_client_api.get(URL, {"include": "bookings"}).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_browsable_api_renders_html_for_a_logged_in_staff_member(reader_user, small_data_set):
    StaffFactory(user=reader_user, name="Robin Reader")
    client = Client()
    assert client.login(username=reader_user.username, password="password")

    response = client.get(URL, {"include": "bookings"}, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "/api-auth/logout/" in html
    assert reader_user.username in html
    assert "&quot;total&quot;: 3" in html
    assert "&quot;redacted&quot;: []" in html


def test_browsable_api_links_the_login_page_for_visitors():
    response = Client().get(URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 401
    assert "/api-auth/login/" in response.content.decode()


def test_token_created_by_the_management_command_works(reader_user, frozen):
    from django.core.management import call_command

    call_command("drf_create_token", reader_user.username)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=reader_user).key}")

    assert client.get(URL, {"include": "sla"}).status_code == 200



def test_figures_served_within_max_staleness_carry_their_age(
    admin_client_api, configure, django_capture_on_commit_callbacks, monkeypatch
):
    configure(max_staleness_seconds=60)
    monkeypatch.setattr("ops_metrics.cache.generations.refresh_in_background", lambda **kwargs: True)
    url = "/api/v1/ops/dashboard/metrics?include=bookings"
    first = admin_client_api.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        BookingFactory()

    stale = admin_client_api.get(url)

    assert not first.has_header("Age")
    assert stale.json()["bookings"]["total"] == 0
    assert stale.json()["generated_at"] == first.json()["generated_at"]
    assert int(stale["Age"]) >= 0

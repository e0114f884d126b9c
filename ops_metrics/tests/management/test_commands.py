"""`manage.py ops_metrics`: the payload as JSON, and the API's validation errors."""
import json
from datetime import datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.core.management import CommandError, call_command

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from complaints.factories import ComplaintFactory
from complaints.models import ComplaintPriority, ComplaintStatus
from ops_metrics.models import OpsConfig
from staff.factories import StaffFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 18, 14, 30, tzinfo=BERLIN)


@pytest.fixture
def frozen(db, time_machine):
    time_machine.move_to(NOW, tick=False)
    OpsConfig.objects.update_or_create(pk=OpsConfig.SINGLETON_PK, defaults={"timezone": "Europe/Berlin"})
    for cache in caches.all():
        cache.clear()


def run(*args: str) -> dict:
    out = StringIO()
    call_command("ops_metrics", *args, stdout=out)
    return json.loads(out.getvalue())


def test_prints_the_payload_as_json(frozen):
    ruth = StaffFactory(name="Ruth")
    BookingFactory(created_at=datetime(2026, 11, 18, tzinfo=BERLIN), status=BookingStatus.CONFIRMED,
                   total_amount=Decimal("1250.50"), assigned_staff=ruth)
    BookingFactory(created_at=datetime(2026, 11, 17, 9, tzinfo=BERLIN), status=BookingStatus.COMPLETED,
                   total_amount=Decimal("0.25"))
    ComplaintFactory(created_at=datetime(2026, 11, 18, 9, tzinfo=BERLIN), priority=ComplaintPriority.CRITICAL,
                     status=ComplaintStatus.OPEN, assigned_to=ruth)  # due 10:00 and 13:00 (critical 1 h / 4 h)

    payload = run("--period", "week", "--include", "sla,realtime,revenue")

    assert list(payload) == ["period", "timezone", "window", "comparison", "generated_at",
                             "sla", "revenue", "realtime", "redacted"]
    assert payload["period"] == "week"
    assert payload["window"] == {"start": "2026-11-16T00:00:00+01:00", "end": "2026-11-18T14:30:00+01:00"}
    assert payload["comparison"]["previous"] == {"start": "2026-11-09T00:00:00+01:00",
                                                 "end": "2026-11-11T14:30:00+01:00"}
    assert payload["generated_at"] == "2026-11-18T13:30:00Z"
    assert payload["revenue"]["total"] == "1250.75"
    assert payload["revenue"]["today"] == "1250.50"
    assert payload["revenue"]["by_status"]["pending"] == "0.00"
    assert payload["revenue"]["average_order_value"] == "625.38"  # 1250.75 / 2 = 625.375, half up
    assert payload["revenue"]["growth_rate"] is None
    assert (payload["sla"]["breached"], payload["sla"]["compliance_rate"]) == (1, None)
    assert payload["realtime"]["staff_workload"] == [
        {"staff_id": ruth.pk, "name": "Ruth", "bookings": 1, "complaints": 1, "total": 2},
    ]
    assert payload["redacted"] == []


def test_prints_what_the_api_returns(frozen, admin_client_api):
    ruth = StaffFactory(name="Ruth")
    BookingFactory(created_at=datetime(2026, 11, 18, 9, tzinfo=BERLIN), status=BookingStatus.CONFIRMED,
                   total_amount=Decimal("1250.50"), assigned_staff=ruth)
    ComplaintFactory(created_at=datetime(2026, 11, 18, 9, tzinfo=BERLIN), priority=ComplaintPriority.HIGH,
                     status=ComplaintStatus.OPEN, assigned_to=ruth)

    body = admin_client_api.get("/api/v1/ops/dashboard/metrics", {"period": "month"}).json()

    assert run("--period", "month") == body
    assert body["revenue"]["total"] == "1250.50"


def test_defaults_to_all_groups_and_period_all(frozen):
    payload = run()
    assert payload["period"] == "all"
    assert payload["window"]["start"] is None
    assert [k for k in payload if k in ("bookings", "complaints", "sla", "revenue", "realtime")] == [
        "bookings", "complaints", "sla", "revenue", "realtime",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "year"], "period: Unknown period 'year'; expected one of: today, week, month, all."),
        (["--include", ""], "include: `include` must name at least one of: bookings, complaints, sla, revenue, realtime."),
        (["--include", "sla,profit"], "include: Unknown metric group 'profit'; expected any of: bookings, complaints, "
                                      "sla, revenue, realtime."),
        (["--period", "week", "--period", "today"], "period: `period` was given more than once with different values."),
    ],
)
def test_invalid_input_is_a_command_error(db, args, message):
    with pytest.raises(CommandError) as excinfo:
        call_command("ops_metrics", *args, stdout=StringIO())
    assert str(excinfo.value) == message


def test_invalid_input_exits_non_zero(db, capsys):
    from ops_metrics.management.commands.ops_metrics import Command

    with pytest.raises(SystemExit) as excinfo:
        Command().run_from_argv(["manage.py", "ops_metrics", "--include", "profit"])
    assert excinfo.value.code == 1
    assert "include: Unknown metric group 'profit'" in capsys.readouterr().err


def test_a_custom_range(frozen):
    out = StringIO()
    call_command("ops_metrics", "--start", "2026-11-01", "--end", "2026-11-08", "--include", "bookings", stdout=out)

    payload = json.loads(out.getvalue())
    assert payload["period"] == "custom"
    assert payload["window"]["end"] == "2026-11-08T00:00:00+01:00"  # the fixture configures Berlin


def test_a_future_custom_range_is_a_command_error(frozen):
    with pytest.raises(CommandError, match="start: `start` must be before now."):
        call_command("ops_metrics", "--start", "2027-01-01", "--end", "2027-01-02")

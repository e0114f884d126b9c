"""seed_demo: deterministic rows, coverage of every status and SLA outcome, demo users."""
import hashlib
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from bookings.models import Booking, BookingStatus, PaymentStatus
from complaints.models import (
    UNRESOLVED_STATUSES,
    BusinessCalendar,
    Complaint,
    ComplaintPriority,
    ComplaintStatus,
    SlaPolicy,
)
from ops_metrics.constants import ADMINS_GROUP, PERM_ADMIN, PERM_READ, READERS_GROUP
from ops_metrics.models import OpsConfig
from ops_metrics.services.dashboard import cached_dashboard_metrics
from staff.factories import StaffFactory
from staff.models import Staff

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SMALL = ["--bookings=300", "--complaints=200", "--staff=8", "--days=30", f"--now={NOW.isoformat()}", "--verbosity=0"]


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _index(reference: str | None) -> str | None:
    """A reference without its seed prefix, so that only values drawn from the random generator are compared."""
    return reference and reference.rsplit("-", 1)[1]


def _digest() -> str:
    """A digest of every generated value, with rows named by natural keys (ids and updated_at vary per load)."""
    staff = sorted(Staff.objects.values_list("name", "is_active"))
    bookings = sorted((_index(reference), *rest) for reference, *rest in Booking.objects.values_list(
        "reference", "customer_name", "status", "payment_status", "total_amount", "assigned_staff__name",
        "scheduled_for", "created_at",
    ))
    complaints = sorted(
        ((_index(reference), *rest) for reference, *rest in Complaint.objects.values_list(
            "booking__reference", "subject", "priority", "status", "assigned_to__name", "created_at",
            "response_due_at", "resolution_due_at", "first_response_at", "resolved_at", "response_business_time",
            "resolution_business_time",
        )),
        key=repr,
    )
    return hashlib.sha256(repr((staff, bookings, complaints)).encode()).hexdigest()


def test_same_seed_and_now_give_identical_rows():
    _seed("--seed=11", *SMALL)
    first = _digest()

    _seed("--seed=11", "--flush", *SMALL)

    assert _digest() == first
    assert (Staff.objects.count(), Booking.objects.count(), Complaint.objects.count()) == (8, 300, 200)


def test_a_different_seed_gives_different_rows():
    _seed("--seed=11", *SMALL)
    first = _digest()

    _seed("--seed=12", "--flush", *SMALL)

    assert _digest() != first
    assert Booking.objects.count() == 300


def test_a_different_now_shifts_the_rows():
    _seed("--seed=11", *SMALL)
    first = _digest()

    _seed("--seed=11", "--flush", *[a for a in SMALL if not a.startswith("--now")], "--now=2026-03-11T12:00:00+00:00")

    assert _digest() != first


def test_flush_removes_existing_data_and_rerun_without_flush_is_refused():
    StaffFactory(name="Someone Else")
    _seed("--seed=3", "--flush", *SMALL)

    assert not Staff.objects.filter(name="Someone Else").exists()
    with pytest.raises(CommandError, match="--flush"):
        _seed("--seed=3", *SMALL)
    assert Booking.objects.count() == 300


def test_if_empty_leaves_existing_data_alone():
    _seed("--seed=3", *SMALL)

    out = _seed("--seed=4", "--if-empty", *SMALL)

    assert "no demo data loaded" in out
    assert Booking.objects.count() == 300
    assert not Booking.objects.filter(reference__startswith="DM4-").exists()


def _sla_outcome(complaint: Complaint, now: datetime, buffer: timedelta) -> str:
    """The SLA outcome of one complaint by the docs/api.md, figures rules, written out independently of the generator."""
    targets = [
        (complaint.first_response_at, complaint.response_due_at),
        (complaint.resolved_at, complaint.resolution_due_at),
    ]
    if all(due is None for _, due in targets):
        return "untracked"
    breached = any(
        due is not None and ((done is not None and done > due) or (done is None and due < now)) for done, due in targets
    )
    if complaint.status not in UNRESOLVED_STATUSES:
        return "met_late" if breached else "met"
    if breached:
        return "overdue"
    if any(due is not None and done is None and now <= due <= now + buffer for done, due in targets):
        return "at_risk"
    return "on_track"


@pytest.fixture
def seeded():
    _seed("--seed=5", "--bookings=800", "--complaints=1500", "--staff=12", "--days=60", f"--now={NOW.isoformat()}",
          "--verbosity=0")


def test_every_status_priority_and_payment_status_occurs(seeded):
    assert set(Booking.objects.values_list("status", flat=True)) == set(BookingStatus.values)
    assert set(Booking.objects.values_list("payment_status", flat=True)) == set(PaymentStatus.values)
    assert set(Complaint.objects.values_list("status", flat=True)) == set(ComplaintStatus.values)
    assert set(Complaint.objects.values_list("priority", flat=True)) == set(ComplaintPriority.values)


def test_every_sla_outcome_occurs(seeded):
    buffer = timedelta(minutes=OpsConfig.objects.get().sla_at_risk_buffer_minutes)

    outcomes = Counter(_sla_outcome(c, NOW, buffer) for c in Complaint.objects.all())

    assert {"met", "met_late", "overdue", "at_risk", "untracked"} <= set(outcomes)
    assert outcomes["met"] > outcomes["met_late"] > outcomes["untracked"]


def test_generated_rows_are_consistent(seeded):
    bookings = list(Booking.objects.all())
    complaints = list(Complaint.objects.select_related("booking"))
    start = NOW - timedelta(days=60)

    assert all(start <= row.created_at < NOW for row in bookings + complaints)
    assert all(b.total_amount >= 0 and b.total_amount == b.total_amount.quantize(Decimal("0.01")) for b in bookings)
    assert all(b.payment_status == PaymentStatus.UNPAID for b in bookings if b.status == BookingStatus.PENDING)
    assert all(c.booking.created_at <= c.created_at for c in complaints if c.booking)
    resolved = [c for c in complaints if c.status not in UNRESOLVED_STATUSES]
    assert all(c.first_response_at is not None and c.first_response_at <= c.resolved_at <= NOW for c in resolved)
    assert all(c.resolved_at is None for c in complaints if c.status in UNRESOLVED_STATUSES)
    # Activity grows towards `now`: the latest third of the period is busier than the first.
    assert sum(b.created_at >= NOW - timedelta(days=20) for b in bookings) > 2 * sum(
        b.created_at < start + timedelta(days=20) for b in bookings
    )


def test_assignment_mixes_unassigned_rows_and_inactive_staff(seeded):
    assert Booking.objects.filter(assigned_staff__isnull=True).exists()
    assert Booking.objects.filter(assigned_staff__is_active=False).exists()
    assert Complaint.objects.filter(assigned_to__isnull=True).exists()
    assert Complaint.objects.filter(booking__isnull=True).exists()
    assert Complaint.objects.filter(booking__isnull=False).exists()


def test_due_times_follow_the_sla_policies():
    SlaPolicy.objects.filter(priority=ComplaintPriority.CRITICAL).update(response_hours=2, resolution_hours=5)

    _seed("--seed=9", *SMALL)

    critical = Complaint.objects.filter(priority=ComplaintPriority.CRITICAL, response_due_at__isnull=False)
    assert critical.exists()
    assert {(c.response_due_at - c.created_at, c.resolution_due_at - c.created_at) for c in critical} == {
        (timedelta(hours=2), timedelta(hours=5))
    }


def test_business_times_are_what_save_would_store():
    """Calendar-less policies: elapsed time; a policy with a calendar: business time under it (the per-row helper)."""
    office = BusinessCalendar.objects.create(name="Office", timezone="Europe/Berlin")  # Mon–Fri 09:00–17:00
    SlaPolicy.objects.filter(priority=ComplaintPriority.HIGH).update(calendar=office)

    _seed("--seed=9", *SMALL)

    clock = office.clock()
    recorded = Complaint.objects.filter(first_response_at__isnull=False)
    assert recorded.filter(priority=ComplaintPriority.HIGH).exists() and recorded.exclude(priority=ComplaintPriority.HIGH)
    for c in recorded:
        measure = clock.between if c.priority == ComplaintPriority.HIGH else (lambda start, end: end - start)
        assert c.response_business_time == measure(c.created_at, c.first_response_at)
        assert c.resolution_business_time == (None if c.resolved_at is None else measure(c.created_at, c.resolved_at))
    assert not Complaint.objects.filter(first_response_at__isnull=True, response_business_time__isnull=False).exists()
    high = recorded.filter(priority=ComplaintPriority.HIGH)
    assert any(c.response_business_time < c.first_response_at - c.created_at for c in high)  # nights and weekends


def test_loading_invalidates_cached_metrics(django_capture_on_commit_callbacks):
    # COPY and bulk_create send no signals: the command itself must make cached figures stale (once committed).
    assert cached_dashboard_metrics(period="all", groups=["bookings"]).payload["bookings"]["total"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        _seed("--seed=9", *SMALL)

    fresh = cached_dashboard_metrics(period="all", groups=["bookings"])
    assert (fresh.hit, fresh.payload["bookings"]["total"]) == (False, 300)


def test_invalid_sizes_are_refused():
    with pytest.raises(CommandError, match="days"):
        _seed("--days=0", "--verbosity=0")
    assert not Booking.objects.exists()


def _demo_user_args(password: str) -> list[str]:
    return ["--bookings=0", "--complaints=0", "--staff=0", "--demo-users", f"--password={password}", "--verbosity=0"]


def test_demo_users_get_groups_staff_rows_and_tokens():
    out = _seed(*_demo_user_args("first-Pass-1"))

    users = {u.username: u for u in get_user_model().objects.filter(username__in=["ops_admin", "ops_reader"])}
    assert set(users) == {"ops_admin", "ops_reader"}
    assert [g.name for g in users["ops_admin"].groups.all()] == [ADMINS_GROUP]
    assert [g.name for g in users["ops_reader"].groups.all()] == [READERS_GROUP]
    assert users["ops_admin"].has_perm(PERM_ADMIN) and not users["ops_reader"].has_perm(PERM_ADMIN)
    assert users["ops_reader"].has_perm(PERM_READ)
    for user in users.values():
        assert user.check_password("first-Pass-1")
        assert Staff.objects.get(user=user).is_active
        assert Token.objects.get(user=user).key in out


def test_demo_users_rerun_updates_the_password_and_keeps_the_rest():
    _seed(*_demo_user_args("first-Pass-1"))
    before = dict(Token.objects.values_list("user__username", "key"))

    _seed(*_demo_user_args("second-Pass-2"))

    admin = get_user_model().objects.get(username="ops_admin")
    assert admin.check_password("second-Pass-2")
    assert dict(Token.objects.values_list("user__username", "key")) == before
    assert Staff.objects.filter(user__username__in=["ops_admin", "ops_reader"]).count() == 2
    assert admin.groups.count() == 1


def test_a_generated_password_is_printed_and_works():
    out = _seed("--bookings=0", "--complaints=0", "--staff=0", "--demo-users", "--verbosity=0")

    password = re.search(r"ops_admin \(Ops admins\): password (\S+)", out).group(1)
    assert get_user_model().objects.get(username="ops_admin").check_password(password)


def test_password_without_demo_users_is_refused():
    with pytest.raises(CommandError, match="--demo-users"):
        _seed("--password=x", "--verbosity=0")


def test_demo_admin_can_review_the_audit_log_in_admin():
    _seed(*_demo_user_args("first-Pass-1"))
    client = Client()
    assert client.login(username="ops_admin", password="first-Pass-1")

    assert client.get(reverse("admin:ops_opsauditlog_changelist")).status_code == 200
    assert client.get(reverse("admin:ops_opsconfig_change", args=[OpsConfig.SINGLETON_PK])).status_code == 200

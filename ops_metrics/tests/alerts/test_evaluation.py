"""Evaluation: the state machine ok → pending → firing → ok over real figures, the outbox, shared computations."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import DatabaseError

from complaints.factories import ComplaintFactory
from complaints.models import ComplaintPriority, ComplaintStatus
from ops_metrics.alerts import evaluation, outbox
from ops_metrics.alerts.evaluation import evaluate_rules
from ops_metrics.constants import AlertEvent, AlertState
from ops_metrics.models import OpsAlertDelivery, OpsAlertNotification, OpsAlertRule
from staff.factories import StaffFactory, UserFactory

NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)


@pytest.fixture
def clock(db, settings, configure):
    """Time stopped at NOW (moved by the test), figures computed by scan, uncached: each pass sees the writes."""
    settings.OPS_METRICS_ENGINE = "scan"
    configure(metrics_cache_ttl_seconds=0)
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def breach(n: int = 1) -> list:
    """`n` open critical complaints two days old: both targets breached."""
    return [ComplaintFactory(priority=ComplaintPriority.CRITICAL, created_at=NOW - timedelta(days=2)) for _ in range(n)]


def resolve(complaints: list) -> None:
    for complaint in complaints:
        complaint.status, complaint.resolved_at = ComplaintStatus.RESOLVED, NOW
        complaint.save()


def reload(rule: OpsAlertRule) -> OpsAlertRule:
    rule.refresh_from_db()
    return rule


def test_ok_pending_firing_ok_with_one_notification_for_each_change(clock, make_rule):
    rule = make_rule(comparator=">=", threshold=2, for_seconds=300, emails=["ops@example.com"])
    complaints = breach(2)

    evaluate_rules()
    assert (reload(rule).state, rule.state_since, rule.last_value) == (AlertState.PENDING, NOW, Decimal(2))
    assert not OpsAlertNotification.objects.exists()

    clock.shift(timedelta(seconds=299))
    evaluate_rules()
    assert reload(rule).state == AlertState.PENDING

    clock.shift(timedelta(seconds=1))
    report = evaluate_rules()
    evaluate_rules()  # the same instant again: idempotent
    assert reload(rule).state == AlertState.FIRING
    [firing] = OpsAlertNotification.objects.all()
    assert report.notifications == [firing.pk] and firing.pk.startswith("msg_")
    assert firing.payload == {
        "type": "ops.alert.firing", "rule": "breaches", "figure": "sla.breached", "value": 2, "threshold": 2,
        "since": "2026-11-26T10:35:00Z", "dashboard_url": "/ops/?period=all",
    }
    assert list(firing.deliveries.values_list("email", flat=True)) == ["ops@example.com"]

    clock.shift(timedelta(hours=1))
    resolve(complaints[:1])
    evaluate_rules()
    evaluate_rules()
    assert (reload(rule).state, rule.last_value) == (AlertState.OK, Decimal(1))
    resolved = OpsAlertNotification.objects.get(type=AlertEvent.RESOLVED)
    assert (resolved.payload["value"], resolved.payload["since"]) == (1, "2026-11-26T11:35:00Z")
    assert OpsAlertNotification.objects.count() == 2


def test_pending_returns_to_ok_silently_when_the_condition_stops_holding(clock, make_rule):
    rule = make_rule(for_seconds=600)
    complaints = breach()
    evaluate_rules()
    clock.shift(timedelta(seconds=60))
    resolve(complaints)

    evaluate_rules()

    assert reload(rule).state == AlertState.OK
    assert not OpsAlertNotification.objects.exists()


def test_repeat_re_notifies_while_firing_and_never_when_zero(clock, make_rule):
    repeating = make_rule(name="repeating", repeat_seconds=3600)
    once = make_rule(name="once", repeat_seconds=0)
    breach()
    evaluate_rules()  # for_seconds 0: fires at once

    clock.shift(timedelta(minutes=59))
    evaluate_rules()
    assert OpsAlertNotification.objects.count() == 2

    clock.shift(timedelta(minutes=1))
    evaluate_rules()
    clock.shift(timedelta(minutes=1))
    evaluate_rules()

    assert OpsAlertNotification.objects.filter(rule=once).count() == 1
    first, repeat = OpsAlertNotification.objects.filter(rule=repeating).order_by("created_at")
    assert repeat.type == AlertEvent.FIRING and repeat.pk != first.pk
    assert repeat.payload["since"] == first.payload["since"] == "2026-11-26T10:30:00Z"  # firing since then
    assert reload(repeating).last_notified_at == NOW + timedelta(hours=1)


def test_null_figure_never_holds(clock, make_rule):
    rule = make_rule(figure="sla.compliance_rate", comparator="<", threshold=95)  # nothing resolved: null

    evaluate_rules()

    assert (reload(rule).state, rule.last_value, rule.last_evaluated_at) == (AlertState.OK, None, NOW)


def test_disabling_a_firing_rule_resolves_it(clock, make_rule):
    rule = make_rule()
    breach()
    evaluate_rules()
    OpsAlertRule.objects.filter(pk=rule.pk).update(enabled=False)

    evaluate_rules()

    assert reload(rule).state == AlertState.OK
    assert OpsAlertNotification.objects.filter(type=AlertEvent.RESOLVED).count() == 1


def test_the_notification_and_the_state_change_commit_together(clock, make_rule, monkeypatch):
    rule = make_rule(emails=["ops@example.com"])
    breach()

    def failing(**kwargs):
        raise DatabaseError("outbox write failed")

    monkeypatch.setattr(evaluation, "write_notification", failing)
    with pytest.raises(DatabaseError):
        evaluate_rules()
    assert reload(rule).state == AlertState.OK  # rolled back with the failed notification

    monkeypatch.setattr(evaluation, "write_notification", outbox.write_notification)
    evaluate_rules()
    assert reload(rule).state == AlertState.FIRING
    assert OpsAlertDelivery.objects.count() == 1


def test_rules_sharing_a_period_share_one_computation(clock, make_rule, monkeypatch):
    calls = []
    real = evaluation.cached_dashboard_metrics

    def counting(**kwargs):
        calls.append((kwargs["period"], tuple(kwargs["groups"])))
        return real(**kwargs)

    monkeypatch.setattr(evaluation, "cached_dashboard_metrics", counting)
    make_rule(name="a", figure="sla.breached")
    make_rule(name="b", figure="sla.at_risk")
    make_rule(name="c", figure="bookings.total")
    make_rule(name="d", figure="complaints.total", period="today")

    report = evaluate_rules()

    assert sorted(calls) == [("all", ("bookings", "sla")), ("today", ("complaints",))]
    assert (report.evaluated, report.computations) == (4, 2)


def test_a_revenue_rule_is_evaluated_only_while_its_owner_holds_ops_admin(clock, make_rule, admin_user, reader_user):
    owned_by_admin = make_rule(name="admin", figure="revenue.total", comparator=">=", threshold=0, owner=admin_user)
    owned_by_reader = make_rule(name="reader", figure="revenue.total", comparator=">=", threshold=0, owner=reader_user)

    evaluate_rules()

    assert reload(owned_by_admin).state == AlertState.FIRING
    assert OpsAlertNotification.objects.get().payload["value"] == "0.00"
    assert (reload(owned_by_reader).state, owned_by_reader.last_value) == (AlertState.OK, None)


def test_model_validation_refuses_unknown_figures_revenue_without_admin_and_unknown_staff(db, reader_user):
    rule = OpsAlertRule(name="x", figure="sla.nope", period="all", comparator=">", threshold=1)
    with pytest.raises(Exception) as unknown:
        rule.full_clean()
    assert "figure" in unknown.value.message_dict

    rule.figure, rule.owner = "revenue.total", reader_user
    with pytest.raises(Exception) as revenue:
        rule.full_clean()
    assert "owner" in revenue.value.message_dict

    rule.figure, rule.owner, rule.staff = "sla.breached", UserFactory(), [987654]
    with pytest.raises(Exception) as staff:
        rule.full_clean()
    assert "No staff member has id 987654" in str(staff.value.message_dict["staff"])


def test_a_rule_with_a_staff_filter_watches_only_that_staff_members_complaints(clock, make_rule):
    mine, theirs = StaffFactory(), StaffFactory()
    for complaint in breach(2):
        complaint.assigned_to = theirs
        complaint.save()
    watching_mine = make_rule(name="mine", figure="sla.breached", comparator=">=", threshold=1, staff=[mine.pk])
    watching_theirs = make_rule(name="theirs", figure="sla.breached", comparator=">=", threshold=1, staff=[theirs.pk])

    evaluate_rules()

    assert (reload(watching_mine).state, reload(watching_mine).last_value) == (AlertState.OK, Decimal(0))
    assert (reload(watching_theirs).state, reload(watching_theirs).last_value) == (AlertState.FIRING, Decimal(2))

"""One evaluation pass: every rule's figure from the cached metrics, its state machine, notifications into the outbox."""
import logging
import operator
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from ops_metrics import telemetry
from ops_metrics.alerts.outbox import write_notification
from ops_metrics.constants import PERM_ADMIN, AlertComparator, AlertEvent, AlertState
from ops_metrics.models import OpsAlertRule
from ops_metrics.models.alerts import figure_group, is_admin_figure
from ops_metrics.services.access import ops_permissions
from ops_metrics.services.dashboard import cached_dashboard_metrics
from ops_metrics.windows.ranges import StaffFilter

logger = logging.getLogger("ops_metrics.alerts")

# pg_try_advisory_lock key of the evaluation pass (any constant no other code of the database uses).
ADVISORY_LOCK_KEY = 0x6F70_5F61_6C72  # "op_alr"
COMPARATORS = {
    AlertComparator.GT: operator.gt, AlertComparator.GE: operator.ge,
    AlertComparator.LT: operator.lt, AlertComparator.LE: operator.le,
}


@dataclass
class EvaluationReport:
    """What one pass did: whether it ran (another runner held the lock), rules evaluated, notifications written."""

    ran: bool
    evaluated: int = 0
    computations: int = 0
    notifications: list[str] = field(default_factory=list)
    seconds: float = 0.0


@contextmanager
def evaluation_lock(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[bool]:
    """Hold the session-level advisory lock while evaluating; yields False when another runner holds it.

    Other databases (SQLite) have no advisory locks: there the pass always runs (one runner, as documented).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


def figure_value(payload: dict, figure: str) -> Decimal | None:
    """The value at a figure's JSON path in a rendered metrics payload (None when the figure is null)."""
    value: object = payload
    for part in figure.split("."):
        value = value[part]  # type: ignore[index]
    if value is None:
        return None
    return Decimal(str(value))


def condition_holds(*, rule: OpsAlertRule, value: Decimal | None) -> bool:
    """Whether the rule's comparison holds; a null figure (nothing to average, no previous period) never does."""
    return value is not None and COMPARATORS[rule.comparator](value, rule.threshold)


def _may_evaluate(rule: OpsAlertRule) -> bool:
    """Enabled, and a revenue rule only while its owner holds ops.admin."""
    if not rule.enabled:
        return False
    if is_admin_figure(rule.figure) and not (rule.owner and PERM_ADMIN in ops_permissions(user=rule.owner)):
        logger.warning("alert rule %s watches revenue but its owner lacks ops.admin: not evaluated", rule.pk)
        return False
    return True


def _scope(rule: OpsAlertRule) -> tuple[str, frozenset[int]]:
    """What a rule's figure is computed over: its period and its staff members (none: everyone's work)."""
    return rule.period, frozenset(rule.staff)


def _payloads(rules: list[OpsAlertRule], *, now: datetime) -> dict[tuple[str, frozenset[int]], dict]:
    """One cached metrics payload per period and staff filter, with the union of the groups their rules read."""
    groups: dict[tuple[str, frozenset[int]], set[str]] = defaultdict(set)
    for rule in rules:
        groups[_scope(rule)].add(figure_group(rule.figure))
    return {
        (period, staff): cached_dashboard_metrics(
            period=period, groups=sorted(names), now=now, staff=StaffFilter(ids=staff) if staff else None
        ).payload
        for (period, staff), names in groups.items()
    }


def advance(*, rule: OpsAlertRule, value: Decimal | None, holds: bool, now: datetime) -> str | None:
    """Move the rule's state machine one step at `now` (not saved); the event to notify, if any (not written here)."""
    event = None
    if holds:
        if rule.state == AlertState.OK:
            rule.state, rule.state_since = AlertState.PENDING, now
        if rule.state == AlertState.PENDING and now - rule.state_since >= timedelta(seconds=rule.for_seconds):
            rule.state, rule.state_since, event = AlertState.FIRING, now, AlertEvent.FIRING
        elif (rule.state == AlertState.FIRING and rule.repeat_seconds and rule.last_notified_at
              and now - rule.last_notified_at >= timedelta(seconds=rule.repeat_seconds)):
            event = AlertEvent.FIRING
    elif rule.state != AlertState.OK:
        event = AlertEvent.RESOLVED if rule.state == AlertState.FIRING else None
        rule.state, rule.state_since = AlertState.OK, now
    rule.last_value, rule.last_evaluated_at = value, now
    if event:
        rule.last_notified_at = now
    return event


def evaluate_rules(*, now: datetime | None = None, using: str = DEFAULT_DB_ALIAS) -> EvaluationReport:
    """Evaluate every rule once (disabled ones return to ok), under the advisory lock; idempotent at a given `now`.

    The pass's state changes and the notifications they cause are written in one transaction (the outbox); delivery
    is separate (ops_metrics.alerts.delivery). Rules sharing a period and staff set share one cached metrics computation.
    """
    with evaluation_lock(using=using) as acquired:
        if not acquired:
            logger.info("alert evaluation skipped: another runner holds the lock")
            return EvaluationReport(ran=False)
        started = time.perf_counter()
        now = now or timezone.now()
        rules = list(OpsAlertRule.objects.using(using).select_related("owner").prefetch_related("webhooks"))
        active = [rule for rule in rules if _may_evaluate(rule)]
        payloads = _payloads(active, now=now)
        report = EvaluationReport(ran=True, computations=len(payloads))
        active_ids = {rule.pk for rule in active}
        # One transaction for the pass: every state change commits with the notifications it caused, or none does
        # (the next pass then redoes it). One UPDATE stamps every rule; only rules whose state moved get their own.
        changing = [name for name in OpsAlertRule.STATE_FIELDS if name != "last_evaluated_at"]
        with transaction.atomic(using=using):
            OpsAlertRule.objects.using(using).filter(pk__in=[rule.pk for rule in rules]).update(last_evaluated_at=now)
            for rule in rules:
                value = figure_value(payloads[_scope(rule)], rule.figure) if rule.pk in active_ids else None
                was_firing, since = rule.state == AlertState.FIRING, rule.state_since
                before = [getattr(rule, name) for name in changing]
                event = advance(rule=rule, value=value, holds=condition_holds(rule=rule, value=value), now=now)
                changed = [name for name, old in zip(changing, before, strict=True) if getattr(rule, name) != old]
                if changed:
                    rule.save(using=using, update_fields=changed)
                if event:
                    # A repeat says since when it has been firing; a change, since now.
                    moment = since if (event == AlertEvent.FIRING and was_firing) else now
                    notification = write_notification(rule=rule, event=event, value=value, since=moment, now=now)
                    report.notifications.append(notification.pk)
        report.evaluated = len(active_ids)
        telemetry.ALERT_FIRING.clear()
        for rule in rules:
            telemetry.ALERT_FIRING.labels(rule=rule.name).set(int(rule.state == AlertState.FIRING))
        report.seconds = time.perf_counter() - started
        telemetry.ALERT_EVALUATION_SECONDS.observe(report.seconds)
        return report

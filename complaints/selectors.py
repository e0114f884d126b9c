"""Complaint reads: the SLA target rules as query predicates, so every figure applies them alike."""
import operator
from datetime import datetime
from functools import reduce

from django.db.models import F, Q

# (due time, the event that meets it) for the two SLA targets of a complaint.
SLA_TARGETS = (("response_due_at", "first_response_at"), ("resolution_due_at", "resolved_at"))


def target_breached_q(*, due: str, achieved: str, now: datetime) -> Q:
    """The target is tracked and was met after its due time, or is unmet with its due time passed (due == now is not)."""
    return Q(**{f"{due}__isnull": False}) & (
        Q(**{f"{achieved}__gt": F(due)}) | Q(**{f"{achieved}__isnull": True, f"{due}__lt": now})
    )


def target_not_breached_q(*, due: str, achieved: str, now: datetime) -> Q:
    """Exact complement of `target_breached_q`, spelled positively so NULLs cannot fall through."""
    return (
        Q(**{f"{due}__isnull": True})
        | Q(**{f"{achieved}__lte": F(due)})
        | Q(**{f"{achieved}__isnull": True, f"{due}__gte": now})
    )


def target_at_risk_q(*, due: str, achieved: str, now: datetime, until: datetime) -> Q:
    """The target is unmet and due within [now, until], both edges included."""
    return Q(**{f"{achieved}__isnull": True, f"{due}__gte": now, f"{due}__lte": until})


def sla_breached_q(*, now: datetime) -> Q:
    """At least one target of the complaint is breached at `now`."""
    return reduce(operator.or_, (target_breached_q(due=d, achieved=a, now=now) for d, a in SLA_TARGETS))


def sla_clean_q(*, now: datetime) -> Q:
    """No target of the complaint is breached at `now`."""
    return reduce(operator.and_, (target_not_breached_q(due=d, achieved=a, now=now) for d, a in SLA_TARGETS))


def sla_at_risk_q(*, now: datetime, until: datetime) -> Q:
    """No target is breached and at least one is unmet and due within [now, until]."""
    at_risk = (target_at_risk_q(due=d, achieved=a, now=now, until=until) for d, a in SLA_TARGETS)
    return sla_clean_q(now=now) & reduce(operator.or_, at_risk)

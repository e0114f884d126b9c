"""Complaint reads: the SLA target rules as query predicates and as one state expression, so every figure applies
them alike."""
import operator
from datetime import datetime
from functools import reduce

from django.db import models
from django.db.models import Expression, F, IntegerField, Q


class SlaState(models.IntegerChoices):
    """Where a complaint stands against its SLA targets at one instant (`sla_state`)."""

    CLEAR = 0, "Clear"
    AT_RISK = 1, "At risk"
    BREACHED = 2, "Breached"


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


class SlaStateExpression(Expression):
    """The complaint's SlaState at `now` as one CASE over its four SLA columns, for grouping by it.

    The same rules as `sla_breached_q` and `sla_at_risk_q`, spelled as SQL text compiled from the columns and two
    parameters: the Case(When(Q)) equivalent resolves a dozen lookups and dominated the cold query's Python time.
    BREACHED rows are exactly `sla_breached_q`, AT_RISK rows `sla_at_risk_q`, CLEAR and AT_RISK rows `sla_clean_q`
    (a WHEN condition that is NULL falls through, as a FILTER does).
    """

    output_field = IntegerField()

    def __init__(self, *, now: datetime, until: datetime) -> None:
        super().__init__()
        self.now, self.until = now, until
        self.columns = [F(name) for target in SLA_TARGETS for name in target]

    def get_source_expressions(self) -> list:
        return self.columns

    def set_source_expressions(self, exprs: list) -> None:
        self.columns = list(exprs)

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        sql = [compiler.compile(column)[0] for column in self.columns]  # plain column references, no parameters
        targets = list(zip(sql[::2], sql[1::2]))
        field = self.columns[0].output_field
        now, until = (field.get_db_prep_value(value, connection) for value in (self.now, self.until))
        breached = " OR ".join(
            f"({due} IS NOT NULL AND ({achieved} > {due} OR ({achieved} IS NULL AND {due} < %s)))"
            for due, achieved in targets
        )
        at_risk = " OR ".join(
            f"({achieved} IS NULL AND {due} >= %s AND {due} <= %s)" for due, achieved in targets
        )
        return (
            f"CASE WHEN {breached} THEN {SlaState.BREACHED:d} WHEN {at_risk} THEN {SlaState.AT_RISK:d} "
            f"ELSE {SlaState.CLEAR:d} END",
            [now] * len(targets) + [now, until] * len(targets),
        )


def sla_state(*, now: datetime, until: datetime) -> SlaStateExpression:
    """The complaint's SlaState at `now`: breached, else at risk (a target unmet, due in [now, until]), else clear."""
    return SlaStateExpression(now=now, until=until)

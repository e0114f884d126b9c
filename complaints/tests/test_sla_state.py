"""The SLA state expression against the figure rules of docs/api.md, restated in Python, on every edge."""
import itertools
from datetime import UTC, datetime, timedelta

from complaints.models import Complaint
from complaints.sla_state import SlaState, sla_state

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
UNTIL = NOW + timedelta(minutes=60)
MICRO = timedelta(microseconds=1)


def expected_state(complaint: Complaint) -> SlaState:
    """Breached when achieved after the due time or unachieved past it; at risk when due in [now, until] (docs/api.md)."""
    targets = [
        (complaint.response_due_at, complaint.first_response_at),
        (complaint.resolution_due_at, complaint.resolved_at),
    ]
    tracked = [(due, done) for due, done in targets if due is not None]
    if any((done is not None and done > due) or (done is None and due < NOW) for due, done in tracked):
        return SlaState.BREACHED
    if any(done is None and NOW <= due <= UNTIL for due, done in tracked):
        return SlaState.AT_RISK
    return SlaState.CLEAR


def _target_cases() -> list[tuple]:
    """(due, achieved) pairs for one SLA target around every edge of the rules, untracked ones included."""
    cases = [(None, None), (None, NOW - timedelta(hours=1))]
    for due in (NOW - timedelta(hours=2), NOW - MICRO, NOW, NOW + MICRO, UNTIL, UNTIL + MICRO):
        cases += [(due, None), (due, due - MICRO), (due, due), (due, due + MICRO)]
    return cases


def test_sla_state_follows_the_rules_on_every_edge(db):
    cases = _target_cases()
    Complaint.objects.bulk_create(
        Complaint(subject="edge", created_at=NOW - timedelta(days=1), response_due_at=response_due,
                  first_response_at=responded, resolution_due_at=resolution_due, resolved_at=resolved)
        for (response_due, responded), (resolution_due, resolved) in itertools.product(cases, cases)
    )
    complaints = Complaint.objects.annotate(state=sla_state(now=NOW, until=UNTIL))

    states = {complaint.pk: (complaint.state, expected_state(complaint)) for complaint in complaints}

    assert len(states) == len(cases) ** 2
    assert {expected for _, expected in states.values()} == set(SlaState)  # every state occurs, so this can fail
    assert [pk for pk, (state, expected) in states.items() if state != expected] == []

"""Complaint writes: creation, and recomputing due times after a calendar or policy change."""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from complaints.models import UNACHIEVED_TARGETS, Complaint, SlaPolicy
from complaints.signals import complaints_bulk_updated


def complaint_create(*, subject: str, priority: str, **fields: Any) -> Complaint:
    """Validate and save a new complaint; due times not given are filled from its priority's SLA policy and calendar."""
    complaint = Complaint(subject=subject, priority=priority, **fields)
    complaint.full_clean()
    complaint.save()  # fills the due times not given, and the business times of events already recorded
    return complaint


@dataclass(frozen=True)
class RecomputeResult:
    """What sla_recompute did: complaints with a target not yet achieved, and those whose due times moved."""

    checked: int
    changed: int


def sla_recompute(*, batch_size: int = 1000, progress: Callable[[int], Any] | None = None) -> RecomputeResult:
    """Recompute the due times of targets not yet achieved from the current policies and calendars, in batches.

    Achieved targets never move, and an untracked target (no due time) stays untracked. Each batch is its own short
    transaction of at most two UPDATE statements that write only the rows whose due time changes; each UPDATE also
    requires the target to be still unachieved, so an event recorded meanwhile keeps its due time. After each batch
    commits, complaints_bulk_updated is sent with the ids written. `progress` is called with each batch's size.
    """
    targets = SlaPolicy.sla_targets()
    pending = Complaint.objects.filter(UNACHIEVED_TARGETS)
    columns = ("id", "priority", "created_at", "response_due_at", "resolution_due_at", "first_response_at", "resolved_at")
    checked = changed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(pending.filter(id__gt=last_id).order_by("id").values_list(*columns)[:batch_size])
            if not rows:
                break
            last_id = rows[-1][0]
            now = timezone.now()
            responses, resolutions = [], []
            for pk, priority, created_at, response_due, resolution_due, first_response_at, resolved_at in rows:
                policy = targets[priority]
                if first_response_at is None and response_due is not None:
                    due = policy.clock.add(created_at, policy.response)
                    if due != response_due:
                        responses.append(Complaint(pk=pk, response_due_at=due, updated_at=now))
                if resolved_at is None and resolution_due is not None:
                    due = policy.clock.add(created_at, policy.resolution)
                    if due != resolution_due:
                        resolutions.append(Complaint(pk=pk, resolution_due_at=due, updated_at=now))
            if responses:
                Complaint.objects.filter(first_response_at__isnull=True).bulk_update(
                    responses, ["response_due_at", "updated_at"]
                )
            if resolutions:
                Complaint.objects.filter(resolved_at__isnull=True).bulk_update(
                    resolutions, ["resolution_due_at", "updated_at"]
                )
            written = frozenset(c.pk for c in responses) | frozenset(c.pk for c in resolutions)
            if written:
                transaction.on_commit(
                    lambda pks=written: complaints_bulk_updated.send(sender=Complaint, pks=pks)
                )
        checked += len(rows)
        changed += len(written)
        if progress is not None:
            progress(len(rows))
    return RecomputeResult(checked=checked, changed=changed)

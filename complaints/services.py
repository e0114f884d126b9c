"""Complaint writes."""
from typing import Any

from complaints.models import Complaint


def complaint_create(*, subject: str, priority: str, **fields: Any) -> Complaint:
    """Validate and save a new complaint; due times not given are filled from its priority's SLA policy."""
    complaint = Complaint(subject=subject, priority=priority, **fields)
    complaint.full_clean()
    complaint.save()  # fills the due times not given
    return complaint

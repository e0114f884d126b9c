"""Complaint factories."""
import factory
from django.utils import timezone

from complaints.models import Complaint, ComplaintPriority, ComplaintStatus


class ComplaintFactory(factory.django.DjangoModelFactory):
    """An open medium-priority complaint created now; due times come from the SLA policy unless given."""

    class Meta:
        model = Complaint

    subject = factory.Sequence(lambda n: f"Complaint {n}")
    priority = ComplaintPriority.MEDIUM
    status = ComplaintStatus.OPEN
    created_at = factory.LazyFunction(timezone.now)

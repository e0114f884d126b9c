"""Booking model rules: unique reference, non-negative amount, settable created_at, newest first."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError

from bookings.factories import BookingFactory
from bookings.models import Booking

pytestmark = pytest.mark.django_db


def test_reference_is_unique():
    BookingFactory(reference="BK-1")

    with pytest.raises(IntegrityError):
        BookingFactory(reference="BK-1")


def test_negative_amount_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        BookingFactory(total_amount=Decimal("-0.01"))


def test_created_at_can_be_set_and_amount_keeps_cents():
    created = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)

    booking = BookingFactory(created_at=created, total_amount=Decimal("1250.50"))

    stored = Booking.objects.get(pk=booking.pk)
    assert stored.created_at == created
    assert stored.total_amount == Decimal("1250.50")
    assert str(stored) == booking.reference


def test_default_ordering_is_newest_first():
    old = BookingFactory(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    new = BookingFactory(created_at=datetime(2026, 2, 1, tzinfo=UTC))

    assert list(Booking.objects.all()) == [new, old]

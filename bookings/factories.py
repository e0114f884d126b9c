"""Booking factories."""
from decimal import Decimal

import factory
from django.utils import timezone

from bookings.models import Booking, BookingStatus, PaymentStatus


class BookingFactory(factory.django.DjangoModelFactory):
    """A pending, unpaid booking created now."""

    class Meta:
        model = Booking

    reference = factory.Sequence(lambda n: f"BK-{n:08d}")
    customer_name = factory.Sequence(lambda n: f"Customer {n}")
    status = BookingStatus.PENDING
    payment_status = PaymentStatus.UNPAID
    total_amount = Decimal("100.00")
    created_at = factory.LazyFunction(timezone.now)

"""Bookings and their status choices (defined once, reused everywhere)."""
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class BookingStatus(models.TextChoices):
    """Lifecycle of a booking."""

    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class PaymentStatus(models.TextChoices):
    """Payment state of a booking."""

    UNPAID = "unpaid", "Unpaid"
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Refunded"


# Statuses whose amount counts as revenue (docs/api.md, figures).
REVENUE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED)
# Statuses that are waiting to be worked (realtime "pending_bookings").
WAITING_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
# Statuses that still load the assigned staff member.
OPEN_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS)


class Booking(models.Model):
    """A customer's booking of a service."""

    reference = models.CharField(max_length=32, unique=True)
    customer_name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=BookingStatus.choices, default=BookingStatus.PENDING)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    # Indexed by (assigned_staff, created_at) below, which also serves the foreign key's own lookups.
    assigned_staff = models.ForeignKey(
        "staff.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings", db_index=False
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A staff member's rows in a time range: a staff-filtered window's partial days, one range per member.
            models.Index(fields=["assigned_staff", "created_at"], name="booking_staff_created_idx"),
            models.Index(fields=["status"], name="booking_status_idx"),
            # (created_at, id): the records pages walk it backwards as they are ordered, ties on created_at included.
            models.Index(fields=["created_at", "id"], name="booking_created_id_idx"),
            # The staff workload counts only open bookings per staff member: a small partial index.
            models.Index(
                fields=["assigned_staff"], condition=models.Q(status__in=OPEN_STATUSES), name="booking_open_staff_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(total_amount__gte=0), name="booking_amount_non_negative"),
        ]

    def __str__(self) -> str:
        return self.reference

"""Bookings admin."""
from django.contrib import admin

from bookings.models import Booking


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Bookings by status, payment and staff, searchable by reference or customer."""

    list_display = ["reference", "customer_name", "status", "payment_status", "total_amount", "assigned_staff", "created_at"]
    list_filter = ["status", "payment_status", "assigned_staff"]
    search_fields = ["reference", "customer_name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["assigned_staff"]
    list_select_related = ["assigned_staff"]
    show_full_result_count = False

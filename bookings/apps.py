"""Bookings app configuration."""
from django.apps import AppConfig


class BookingsConfig(AppConfig):
    """Customer bookings."""

    name = "bookings"
    default_auto_field = "django.db.models.BigAutoField"

"""Staff admin."""
from django.contrib import admin

from staff.models import Staff


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    """Staff list with activity filter and name search."""

    list_display = ["name", "user", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user"]

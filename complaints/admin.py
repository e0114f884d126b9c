"""Complaints admin."""
from django.contrib import admin

from complaints.models import Complaint, SlaPolicy


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Complaints by status, priority and staff, searchable by subject or booking reference."""

    list_display = [
        "subject", "priority", "status", "assigned_to", "created_at",
        "response_due_at", "first_response_at", "resolution_due_at", "resolved_at",
    ]
    list_filter = ["status", "priority", "assigned_to"]
    search_fields = ["subject", "booking__reference"]
    date_hierarchy = "created_at"
    raw_id_fields = ["booking", "assigned_to"]
    list_select_related = ["assigned_to"]
    show_full_result_count = False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """SLA targets per priority; they set the due times of complaints created afterwards."""

    list_display = ["priority", "response_hours", "resolution_hours"]
    list_editable = ["response_hours", "resolution_hours"]

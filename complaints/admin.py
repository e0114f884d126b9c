"""Complaints admin: complaints, SLA policies, business calendars with their holidays."""
import re
from datetime import timedelta
from functools import cache

import holidays as public_holidays
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from complaints.business_time import zone
from complaints.models import BusinessCalendar, BusinessHoliday, Complaint, SlaPolicy
from complaints.receivers import schedule_sla_recompute

PREVIEW_SAMPLES = (timedelta(hours=1), timedelta(hours=4), timedelta(hours=24))


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
    readonly_fields = ["response_business_time", "resolution_business_time"]
    list_select_related = ["assigned_to"]
    show_full_result_count = False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """SLA targets per priority and the calendar they count in; changes move the due times of open targets."""

    list_display = ["priority", "response_hours", "resolution_hours", "calendar"]
    list_editable = ["response_hours", "resolution_hours", "calendar"]
    list_select_related = ["calendar"]


class BusinessHolidayInline(admin.TabularInline):
    """The calendar's closed days."""

    model = BusinessHoliday
    extra = 0
    fields = ["date", "name"]


@cache
def _country_choices() -> list[tuple[str, str]]:
    names = {
        entry[1]: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0]) for entry in public_holidays.registry.COUNTRIES.values()
    }
    return sorted(((code, f"{name} ({code})") for code, name in names.items()), key=lambda choice: choice[1])


class FillHolidaysForm(forms.Form):
    """Country, optional subdivision and year of the public holidays to add."""

    country = forms.ChoiceField(choices=_country_choices)
    subdivision = forms.CharField(
        required=False, max_length=20, help_text='Optional, e.g. "BY" for Bavaria; empty for the nationwide holidays.'
    )
    year = forms.IntegerField(min_value=1970, max_value=2100)

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            data["holidays"] = public_holidays.country_holidays(
                data["country"], subdiv=data["subdivision"] or None, years=data["year"]
            )
        except NotImplementedError as error:
            raise forms.ValidationError(str(error)) from error
        return data


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    """Opening hours and holidays; saving one recomputes the due times of open targets of the policies using it."""

    list_display = ["name", "timezone", "policies"]
    fields = ["name", "timezone", "hours", "due_preview"]
    readonly_fields = ["due_preview"]
    inlines = [BusinessHolidayInline]
    actions = ["fill_public_holidays"]

    @admin.display(description="SLA policies")
    def policies(self, calendar: BusinessCalendar) -> str:
        return ", ".join(calendar.sla_policies.values_list("priority", flat=True)) or "—"

    @admin.display(description="A complaint created now would be due")
    def due_preview(self, calendar: BusinessCalendar) -> str:
        if calendar.pk is None:
            return "Save the calendar to see due times under it."
        clock = calendar.clock()
        local = zone(calendar.timezone)
        now = timezone.now()

        def when(instant) -> str:
            return instant.astimezone(local).strftime("%a %d %b %Y %H:%M %Z")

        policies = list(calendar.sla_policies.order_by("response_hours"))
        if policies:
            rows = [
                (policy.get_priority_display(), f"respond by {when(clock.add(now, timedelta(hours=policy.response_hours)))}, "
                 f"resolve by {when(clock.add(now, timedelta(hours=policy.resolution_hours)))}")
                for policy in policies
            ]
        else:
            rows = [(f"{sample // timedelta(hours=1)} h of business time", when(clock.add(now, sample)))
                    for sample in PREVIEW_SAMPLES]
        items = format_html_join("", "<li>{}: {}</li>", rows)
        return format_html('<ul style="margin-left: 0">{}</ul><p class="help">Now is {}; {}.</p>', items, when(now),
                           "open" if clock.is_open(now) else "closed")

    @admin.action(description="Fill public holidays of a country and year")
    def fill_public_holidays(self, request, queryset):
        form = FillHolidaysForm(request.POST if "apply" in request.POST else None,
                                initial={"year": timezone.now().year})
        if form.is_valid():
            found = form.cleaned_data["holidays"]
            added = 0
            for calendar in queryset:
                existing = set(calendar.holidays.filter(date__in=list(found)).values_list("date", flat=True))
                added += len(BusinessHoliday.objects.bulk_create([
                    BusinessHoliday(calendar=calendar, date=day, name=name[:200])
                    for day, name in sorted(found.items()) if day not in existing
                ]))
            schedule_sla_recompute()  # bulk_create sends no post_save
            self.message_user(
                request, f"Added {added} holidays ({len(found)} public holidays of {form.cleaned_data['country']}"
                f"{'-' + form.cleaned_data['subdivision'] if form.cleaned_data['subdivision'] else ''} "
                f"{form.cleaned_data['year']}) to {queryset.count()} calendars.", messages.SUCCESS,
            )
            return None
        return TemplateResponse(request, "admin/complaints/businesscalendar/fill_holidays.html", {
            **self.admin_site.each_context(request),
            "title": "Fill public holidays",
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

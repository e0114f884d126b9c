"""Admin: the OpsConfig row, the audit log (read-only, with a note on the user admin), alert rules, endpoints, outbox."""
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ops_metrics.models import (
    OpsAlertAttempt,
    OpsAlertDelivery,
    OpsAlertNotification,
    OpsAlertRule,
    OpsAuditLog,
    OpsConfig,
    OpsWebhookEndpoint,
)
from ops_metrics.models.alerts import generate_secret


@admin.register(OpsConfig)
class OpsConfigAdmin(admin.ModelAdmin):
    """The single configuration row: the list goes straight to it; it can be changed, never added twice or deleted."""

    fieldsets = [
        (None, {"fields": ["timezone", "metrics_cache_ttl_seconds", "sla_at_risk_buffer_minutes",
                               "max_staleness_seconds"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not OpsConfig.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: OpsConfig | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        config = OpsConfig.load()
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[config.pk]))


@admin.register(OpsAuditLog)
class OpsAuditLogAdmin(admin.ModelAdmin):
    """The audit trail, newest first: filterable and searchable, never added to, changed or deleted here."""

    list_display = [
        "created_at", "username", "user", "staff", "action", "period", "include", "figure", "staff_filter", "ip_address",
    ]
    list_filter = ["action", ("user", admin.RelatedOnlyFieldListFilter), ("created_at", admin.DateFieldListFilter)]
    search_fields = ["username", "user__username", "ip_address", "period"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    list_select_related = ["user", "staff"]
    readonly_fields = [field.name for field in OpsAuditLog._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OpsAuditLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OpsAuditLog | None = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(OpsAlertRule)
class OpsAlertRuleAdmin(admin.ModelAdmin):
    """Alert rules; their state is the runner's. Changes are recorded by the admin's own history (LogEntry)."""

    list_display = ["name", "figure", "comparator", "threshold", "period", "enabled", "state", "state_since",
                    "last_value", "last_evaluated_at"]
    list_filter = ["state", "enabled", "period"]
    search_fields = ["name", "figure"]
    filter_horizontal = ["webhooks"]
    readonly_fields = list(OpsAlertRule.STATE_FIELDS)
    fieldsets = [
        (None, {"fields": ["name", "enabled", "figure", "period", "staff", "comparator", "threshold", "for_seconds",
                           "repeat_seconds", "owner"]}),
        ("Channels", {"fields": ["webhooks", "emails"]}),
        ("State", {"fields": list(OpsAlertRule.STATE_FIELDS)}),
    ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: OpsAlertRule, form, change: bool) -> None:
        if change:
            # Never write back the state the form loaded: the runner may have moved it since.
            obj.save(update_fields=[name for name in form.fields if name not in ("webhooks",)] + ["updated_at"])
        else:
            obj.save()


@admin.register(OpsWebhookEndpoint)
class OpsWebhookEndpointAdmin(admin.ModelAdmin):
    """Endpoints: the signing secret is shown once, in a message after creation (or after a new one is generated)."""

    list_display = ["__str__", "url", "enabled", "disabled_reason", "created_at"]
    list_filter = ["enabled"]
    fields = ["name", "url", "enabled", "disabled_reason"]
    actions = ["regenerate_secret"]

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: OpsWebhookEndpoint, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            self._show_secret_once(request, obj)

    def _show_secret_once(self, request: HttpRequest, endpoint: OpsWebhookEndpoint) -> None:
        messages.warning(request, f"Signing secret of {endpoint} (copy it now, it is never shown again): "
                                  f"{endpoint.secret}")

    @admin.action(description="Generate a new signing secret (shown once)", permissions=["change"])
    def regenerate_secret(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            endpoint.secret = generate_secret()
            endpoint.save(update_fields=["secret"])
            self._show_secret_once(request, endpoint)


class DeliveryInline(admin.TabularInline):
    model = OpsAlertDelivery
    fields = ["channel", "endpoint", "email", "attempts", "next_attempt_at", "delivered_at", "given_up_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AttemptInline(admin.TabularInline):
    model = OpsAlertAttempt
    fields = ["started_at", "outcome", "status_code", "latency_ms", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(OpsAlertNotification)
class OpsAlertNotificationAdmin(ReadOnlyAdmin):
    """The outbox, newest first, with each notification's deliveries."""

    list_display = ["id", "type", "rule", "created_at"]
    list_filter = ["type"]
    readonly_fields = ["id", "type", "rule", "payload", "created_at"]
    inlines = [DeliveryInline]


@admin.register(OpsAlertDelivery)
class OpsAlertDeliveryAdmin(ReadOnlyAdmin):
    """Deliveries with their attempts."""

    list_display = ["notification", "channel", "endpoint", "email", "attempts", "next_attempt_at", "delivered_at",
                    "given_up_at"]
    list_filter = ["channel"]
    list_select_related = ["notification", "endpoint"]
    readonly_fields = DeliveryInline.fields + ["notification"]
    inlines = [AttemptInline]


@admin.register(OpsAlertAttempt)
class OpsAlertAttemptAdmin(ReadOnlyAdmin):
    """Every delivery attempt: outcome, HTTP status, latency and error (never a secret)."""

    list_display = ["started_at", "delivery", "outcome", "status_code", "latency_ms", "error"]
    list_filter = ["outcome"]
    list_select_related = ["delivery"]
    readonly_fields = ["delivery", *AttemptInline.fields]


_user_model = get_user_model()
_UserAdminBase = type(admin.site._registry[_user_model]) if admin.site.is_registered(_user_model) else admin.ModelAdmin


class OpsUserAdmin(_UserAdminBase):
    """The user admin as installed, whose delete confirmation says what becomes of the users' ops audit rows."""

    def get_deleted_objects(self, objs, request: HttpRequest):
        deleted = super().get_deleted_objects(objs, request)
        # Both confirmation pages (one user, or the bulk action) post "post=yes" only to delete.
        if request.POST.get("post") != "yes":
            rows = OpsAuditLog.objects.filter(user__in=objs).count()
            if rows:
                messages.warning(
                    request, f"Their {rows} ops audit log row{'s' if rows != 1 else ''} will be kept: the user is "
                    "cleared on each, the username recorded with it stays.",
                )
        return deleted


if admin.site.is_registered(_user_model):
    admin.site.unregister(_user_model)
admin.site.register(_user_model, OpsUserAdmin)

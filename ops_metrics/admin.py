"""Admin: the one OpsConfig row (editable), the audit log (read-only), and the user admin's note on audit rows."""
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ops_metrics.models import OpsAuditLog, OpsConfig


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

"""Reads of the alert rules for a user: what they may see (revenue rules only for ops.admin), audited."""
from django.contrib.auth.base_user import AbstractBaseUser

from ops_metrics.constants import PERM_ADMIN, AlertState, AuditAction, MetricGroup, ResourceType
from ops_metrics.models import OpsAlertRule
from ops_metrics.services.access import ops_permissions
from ops_metrics.services.audit import record_audit


def alert_rules_for_user(*, user: AbstractBaseUser, ip_address: str | None) -> list[OpsAlertRule]:
    """Every rule `user` may see, firing first, then by name; rules over revenue figures only for ops.admin."""
    rules = OpsAlertRule.objects.all()
    if PERM_ADMIN not in ops_permissions(user=user):
        rules = rules.exclude(figure__startswith=f"{MetricGroup.REVENUE}.")
    record_audit(user=user, action=AuditAction.VIEW_ALERTS, period="", include=[], ip_address=ip_address,
                 resource_type=ResourceType.ALERTS)
    return sorted(rules, key=lambda rule: (rule.state != AlertState.FIRING, rule.name))


def record_alerts_refusal(*, user: AbstractBaseUser, ip_address: str | None) -> None:
    """The audit row of a refused request for the alerts."""
    record_audit(user=user, action=AuditAction.VIEW_ALERTS_DENIED, period="", include=[], ip_address=ip_address,
                 resource_type=ResourceType.ALERTS)

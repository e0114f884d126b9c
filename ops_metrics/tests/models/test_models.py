"""OpsConfig single-row rules, the append-only audit log, and the groups data migration."""
import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from ops_metrics.constants import ADMINS_GROUP, PERM_ADMIN, PERM_READ, READERS_GROUP, AuditAction
from ops_metrics.models import OpsAuditLog, OpsConfig

pytestmark = pytest.mark.django_db


def test_a_second_save_keeps_the_single_row():
    OpsConfig(timezone="Europe/Berlin").save()
    OpsConfig(timezone="Asia/Tokyo", metrics_cache_ttl_seconds=0).save()

    assert list(OpsConfig.objects.values_list("pk", "timezone", "metrics_cache_ttl_seconds")) == [
        (OpsConfig.SINGLETON_PK, "Asia/Tokyo", 0)
    ]


def test_the_config_cannot_be_deleted():
    config = OpsConfig.objects.create()

    with pytest.raises(ValidationError):
        config.delete()

    assert OpsConfig.objects.filter(pk=OpsConfig.SINGLETON_PK).exists()


def test_unknown_timezone_is_invalid():
    with pytest.raises(ValidationError) as excinfo:
        OpsConfig(timezone="Mars/Olympus_Mons").full_clean()

    assert "timezone" in excinfo.value.message_dict


def test_audit_entries_cannot_be_changed(admin_user):
    entry = OpsAuditLog.objects.create(user=admin_user, action=AuditAction.VIEW_METRICS, period="week")

    entry.period = "month"
    with pytest.raises(ValidationError):
        entry.save()

    assert OpsAuditLog.objects.get(pk=entry.pk).period == "week"


def _codenames(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_migration_creates_both_groups_with_exact_permissions():
    assert _codenames(READERS_GROUP) == {PERM_READ}
    assert _codenames(ADMINS_GROUP) == {PERM_READ, PERM_ADMIN}


def test_group_members_get_the_permissions(admin_user, reader_user, plain_user):
    assert (admin_user.has_perm(PERM_READ), admin_user.has_perm(PERM_ADMIN)) == (True, True)
    assert (reader_user.has_perm(PERM_READ), reader_user.has_perm(PERM_ADMIN)) == (True, False)
    assert (plain_user.has_perm(PERM_READ), plain_user.has_perm(PERM_ADMIN)) == (False, False)

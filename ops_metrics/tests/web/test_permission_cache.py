"""The ops permissions cached in Redis: no query on a warm request, stale the moment a committed change can alter them."""
import socket
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import override_settings

from ops_metrics.cache.backend import forget_unreachable
from ops_metrics.constants import ADMINS_GROUP, PERM_ADMIN, PERM_READ, READERS_GROUP
from ops_metrics.services import access
from ops_metrics.services.access import ops_permissions

pytestmark = pytest.mark.django_db
URL = "/api/v1/ops/dashboard/metrics"


def _permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _fresh(user):
    """The user as the next request loads it: no permission kept on the object."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block's on-commit callbacks (the invalidations) as its commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_warm_lookup_costs_no_query(reader_user, django_assert_num_queries):
    cold, warm = _fresh(reader_user), _fresh(reader_user)
    with django_assert_num_queries(1):
        assert ops_permissions(user=cold) == {PERM_READ}
    with django_assert_num_queries(0):
        assert ops_permissions(user=warm) == {PERM_READ}


def test_revoking_a_groups_permission_redacts_the_next_request(admin_client_api, frozen, committed):
    assert admin_client_api.get(URL, {"include": "revenue"}).json()["redacted"] == []

    with committed():
        Group.objects.get(name=ADMINS_GROUP).permissions.remove(_permission(PERM_ADMIN))

    assert admin_client_api.get(URL, {"include": "revenue"}).json()["redacted"] == ["revenue"]


def test_revoking_from_the_permissions_side_refuses_the_next_request(plain_user, plain_client_api, frozen, committed):
    with committed():
        plain_user.user_permissions.add(_permission(PERM_READ))
    assert plain_client_api.get(URL, {"include": "sla"}).status_code == 200

    with committed():
        _permission(PERM_READ).user_set.remove(plain_user)

    assert plain_client_api.get(URL, {"include": "sla"}).status_code == 403


@pytest.mark.parametrize(
    "leave",
    [
        lambda user, group: user.groups.remove(group),
        lambda user, group: group.user_set.remove(user),
        lambda user, group: user.groups.clear(),
        lambda user, group: group.delete(),
    ],
    ids=["remove", "reverse-remove", "clear", "group-deleted"],
)
def test_leaving_the_group_refuses_the_next_request(leave, reader_user, reader_client_api, frozen, committed):
    assert reader_client_api.get(URL, {"include": "sla"}).status_code == 200

    with committed():
        leave(reader_user, Group.objects.get(name=READERS_GROUP))

    assert reader_client_api.get(URL, {"include": "sla"}).status_code == 403


def test_a_granted_permission_counts_at_once(plain_user, plain_client_api, frozen, committed):
    assert plain_client_api.get(URL, {"include": "sla"}).status_code == 403

    with committed():
        Group.objects.get(name=READERS_GROUP).user_set.add(plain_user)

    assert plain_client_api.get(URL, {"include": "sla"}).status_code == 200


def test_the_superuser_and_active_flags_count_at_once(reader_user, reader_client_api, frozen, committed):
    assert reader_client_api.get(URL, {"include": "revenue"}).json()["redacted"] == ["revenue"]
    with committed():
        get_user_model().objects.filter(pk=reader_user.pk).update(is_superuser=True)
    assert reader_client_api.get(URL, {"include": "revenue"}).json()["redacted"] == []

    with committed():
        get_user_model().objects.filter(pk=reader_user.pk).update(is_superuser=False, is_active=False)
    assert reader_client_api.get(URL, {"include": "revenue"}).status_code == 401


def test_a_fill_racing_a_revocation_is_never_served(reader_user, committed, monkeypatch):
    """The set read before a revocation commits is stored under the generation read before it: stale at once."""
    query = access._granted_in_database

    def read_then_revoked(user):
        granted = query(user)
        with committed():
            Group.objects.get(name=READERS_GROUP).user_set.remove(user)
        return granted

    monkeypatch.setattr(access, "_granted_in_database", read_then_revoked)
    assert ops_permissions(user=_fresh(reader_user)) == {PERM_READ}  # what the racing request saw
    monkeypatch.setattr(access, "_granted_in_database", query)

    assert ops_permissions(user=_fresh(reader_user)) == frozenset()


@contextmanager
def _cache_down():
    """The default cache pointed at a closed port."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        down = {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{listener.getsockname()[1]}/0"}
        with override_settings(CACHES={"default": down}):
            yield


@pytest.fixture
def cache_down():
    with _cache_down():
        yield


def test_with_the_cache_down_the_database_answers(reader_user, reader_client_api, frozen, committed, cache_down):
    assert reader_client_api.get(URL, {"include": "revenue"}).json()["redacted"] == ["revenue"]
    with committed():
        Group.objects.get(name=ADMINS_GROUP).user_set.add(reader_user)
    assert reader_client_api.get(URL, {"include": "revenue"}).json()["redacted"] == []

    with committed():
        reader_user.groups.clear()
    assert reader_client_api.get(URL, {"include": "revenue"}).status_code == 403


def test_a_revocation_made_while_the_cache_was_down_is_delivered_before_the_next_read(
    reader_user, reader_client_api, frozen, committed
):
    assert reader_client_api.get(URL, {"include": "sla"}).status_code == 200
    with _cache_down(), committed():
        reader_user.groups.clear()

    forget_unreachable()
    assert reader_client_api.get(URL, {"include": "sla"}).status_code == 403

"""ops_permissions: Django's has_perm answers for ops.read and ops.admin, in one query per request."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.test import override_settings

from ops_metrics.constants import ADMINS_GROUP, PERM_ADMIN, PERM_READ, READERS_GROUP
from ops_metrics.web.permissions import ops_permissions
from staff.factories import UserFactory

pytestmark = pytest.mark.django_db


def _permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _fresh(user):
    """The user as the next request loads it: no permission cached on the object."""
    return get_user_model().objects.get(pk=user.pk)


class ReadForRobin(BaseBackend):
    """A backend of another kind: grants ops.read to "robin", whatever the database says."""

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return user_obj.username == "robin" and perm == PERM_READ


def test_group_and_direct_permissions_are_united_in_one_query(django_assert_num_queries):
    user = UserFactory()
    user.groups.add(Group.objects.get(name=READERS_GROUP))
    user.user_permissions.add(_permission(PERM_ADMIN), _permission("auth.view_user"))
    user = _fresh(user)

    with django_assert_num_queries(1):
        assert ops_permissions(user=user) == {PERM_READ, PERM_ADMIN}
    with django_assert_num_queries(0):
        assert ops_permissions(user=user) == {PERM_READ, PERM_ADMIN}


@pytest.mark.parametrize(
    ("groups", "direct", "expected"),
    [
        ([], [], set()),
        ([READERS_GROUP], [], {PERM_READ}),
        ([ADMINS_GROUP], [], {PERM_READ, PERM_ADMIN}),
        ([READERS_GROUP, ADMINS_GROUP], [PERM_READ], {PERM_READ, PERM_ADMIN}),
        ([], [PERM_ADMIN], {PERM_ADMIN}),  # admin without read is what has_perm says too; the view accepts either
        ([], ["auth.view_user"], set()),
    ],
)
def test_answers_as_has_perm_does(groups, direct, expected):
    user = UserFactory()
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    user.user_permissions.add(*(_permission(label) for label in direct))

    assert ops_permissions(user=_fresh(user)) == expected
    assert {perm for perm in (PERM_READ, PERM_ADMIN) if _fresh(user).has_perm(perm)} == expected


def test_a_group_with_other_members_is_counted_once():
    readers = Group.objects.get(name=READERS_GROUP)
    users = UserFactory.create_batch(3)
    for user in users:
        user.groups.add(readers)

    assert [ops_permissions(user=_fresh(user)) for user in users] == [{PERM_READ}] * 3


def test_superuser_holds_both_without_a_query(django_assert_num_queries):
    user = _fresh(UserFactory(is_superuser=True))

    with django_assert_num_queries(0):
        assert ops_permissions(user=user) == {PERM_READ, PERM_ADMIN}


@pytest.mark.parametrize("is_superuser", [False, True])
def test_inactive_users_hold_nothing(is_superuser, django_assert_num_queries):
    user = UserFactory(is_active=False, is_superuser=is_superuser)
    user.groups.add(Group.objects.get(name=ADMINS_GROUP))
    user = _fresh(user)

    with django_assert_num_queries(0):
        assert ops_permissions(user=user) == frozenset()


def test_anonymous_holds_nothing():
    assert ops_permissions(user=AnonymousUser()) == frozenset()


@override_settings(
    AUTHENTICATION_BACKENDS=[f"{__name__}.ReadForRobin", "django.contrib.auth.backends.ModelBackend"]
)
def test_other_backends_are_asked_through_has_perm():
    robin = UserFactory(username="robin")
    admin = UserFactory(username="ada")
    admin.groups.add(Group.objects.get(name=ADMINS_GROUP))

    assert ops_permissions(user=_fresh(robin)) == {PERM_READ}
    assert ops_permissions(user=_fresh(admin)) == {PERM_READ, PERM_ADMIN}

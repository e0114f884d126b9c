"""Staff model rules."""
import pytest

from staff.factories import StaffFactory, UserFactory
from staff.models import Staff

pytestmark = pytest.mark.django_db


def test_deleting_the_login_keeps_the_staff_member():
    user = UserFactory()
    member = StaffFactory(user=user, name="Ada Adler")

    user.delete()

    member.refresh_from_db()
    assert member.user is None
    assert member.is_active is True


def test_staff_are_listed_by_name():
    StaffFactory(name="Zoe Zimmer")
    StaffFactory(name="Ada Adler")

    assert [str(s) for s in Staff.objects.all()] == ["Ada Adler", "Zoe Zimmer"]

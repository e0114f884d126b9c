"""Staff factories."""
import factory
from django.contrib.auth import get_user_model

from staff.models import Staff


class UserFactory(factory.django.DjangoModelFactory):
    """An auth user with a usable password ("password")."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "password")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(factory.django.DjangoModelFactory):
    """An active staff member without a login."""

    class Meta:
        model = Staff

    name = factory.Sequence(lambda n: f"Staff {n:04d}")
    is_active = True

"""Project-level wrapping of app views: the dashboard page is never stored by a browser or a shared cache."""
import pytest
from django.test import Client

from staff.factories import UserFactory


@pytest.mark.parametrize("username", ["root", None])
def test_the_dashboard_page_is_never_stored(db, username):
    client = Client()
    if username:
        client.force_login(UserFactory(username=username, is_superuser=True, is_staff=True))

    response = client.get("/ops/")
    directives = {directive.strip() for directive in response["Cache-Control"].split(",")}

    assert response.status_code == (200 if username else 302)
    assert {"no-store", "private", "no-cache", "must-revalidate", "max-age=0"} <= directives
    assert "Expires" in response

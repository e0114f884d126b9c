"""Login protection: lockout per account and per address on both login pages, cool-off, attempts in admin."""
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client
from django.utils import timezone

from staff.factories import UserFactory

LOGIN_PAGES = ["/api-auth/login/", "/admin/login/"]


@pytest.fixture
def clerks(db, settings):
    """Two staff accounts (password "password"); lockout after 3 failures, cool-off 10 minutes."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=10)
    return UserFactory(username="clerk", is_staff=True), UserFactory(username="other", is_staff=True)


def _login(*, path: str, username: str, password: str, ip: str) -> tuple[int, bool]:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(path, {"username": username, "password": password})
    return response.status_code, "_auth_user_id" in client.session


def _fail_until_locked(*, path: str, username: str = "clerk", ip: str = "10.0.0.1") -> list[int]:
    return [_login(path=path, username=username, password="wrong", ip=ip)[0] for _ in range(3)]


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_the_right_password_is_refused_once_locked_out_until_the_cool_off_ends(clerks, path, caplog):
    assert _fail_until_locked(path=path) == [200, 200, 429]

    assert _login(path=path, username="clerk", password="password", ip="10.0.0.1") == (429, False)
    assert "AXES: New login failure" in caplog.text
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert _login(path=path, username="clerk", password="password", ip="10.0.0.1") == (302, True)


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_lockout_is_per_account_and_per_address(clerks, path):
    _fail_until_locked(path=path)

    assert _login(path=path, username="clerk", password="password", ip="10.0.0.2") == (429, False)
    assert _login(path=path, username="other", password="password", ip="10.0.0.1") == (429, False)
    assert _login(path=path, username="other", password="password", ip="10.0.0.2") == (302, True)


def test_failures_on_one_page_count_on_the_other(clerks):
    _fail_until_locked(path="/api-auth/login/")

    assert _login(path="/admin/login/", username="clerk", password="password", ip="10.0.0.1") == (429, False)


def test_a_success_clears_the_failures_of_that_account_from_that_address(clerks):
    _login(path="/api-auth/login/", username="clerk", password="wrong", ip="10.0.0.1")
    _login(path="/api-auth/login/", username="other", password="wrong", ip="10.0.0.1")
    assert _login(path="/api-auth/login/", username="clerk", password="password", ip="10.0.0.1") == (302, True)

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["other"]
    assert _fail_until_locked(path="/api-auth/login/", ip="10.0.0.3") == [200, 200, 429]


def test_failed_attempts_are_listed_in_admin(clerks):
    _fail_until_locked(path="/admin/login/")
    admin = Client()
    admin.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    attempts = admin.get("/admin/axes/accessattempt/")
    failures = admin.get("/admin/axes/accessfailurelog/")

    assert AccessAttempt.objects.filter(username="clerk", ip_address="10.0.0.1").get().failures_since_start == 3
    assert AccessFailureLog.objects.filter(username="clerk").count() == 3
    assert (attempts.status_code, failures.status_code) == (200, 200)
    assert b"clerk" in attempts.content and b"10.0.0.1" in failures.content


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(clerks, settings):
    settings.OPS_METRICS_TRUST_X_FORWARDED_FOR = True
    proxy = {"REMOTE_ADDR": "10.9.9.9"}
    for _ in range(3):
        Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.7").post(
            "/api-auth/login/", {"username": "nobody", "password": "wrong"}
        )

    other_client = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    response = other_client.post("/api-auth/login/", {"username": "other", "password": "password"})

    assert response.status_code == 302
    assert AccessAttempt.objects.get(username="nobody").ip_address == "203.0.113.7"


@pytest.mark.parametrize(("guessed_on", "logged_in_on"), [(page, page) for page in LOGIN_PAGES] + [tuple(LOGIN_PAGES)])
def test_a_success_of_another_account_does_not_clear_the_failures_against_a_victim(clerks, guessed_on, logged_in_on):
    guesses = []
    for _ in range(2):  # the attacker's own account logs in after each pair of guesses against the victim
        guesses += [_login(path=guessed_on, username="clerk", password="wrong", ip="10.0.0.1")[0] for _ in range(2)]
        guesses.append(_login(path=logged_in_on, username="other", password="password", ip="10.0.0.1")[0])

    # Locked at the third guess; the account and the address stay locked (refused requests are not counted).
    assert guesses == [200, 200, 302, 429, 429, 429]
    assert _login(path=guessed_on, username="clerk", password="password", ip="10.0.0.2") == (429, False)
    assert AccessAttempt.objects.get(username="clerk", ip_address="10.0.0.1").failures_since_start == 3

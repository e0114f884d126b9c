"""HTTPS from the environment: check --deploy is clean with the documented settings; login works behind a TLS proxy."""
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from staff.factories import UserFactory

# The production settings documented in docs/operations.md (Deploying), with a throwaway secret key.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Qp2-not-a-real-key-but-long-and-random-enough-4kL9vB1zR8wT3yN6",
    "ALLOWED_HOSTS": "ops.example.com",
    "DATABASE_URL": "postgres://ops:password@db.internal:5432/ops",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "OPS_METRICS_TRUST_X_FORWARDED_FOR": "1",
    "LOG_FORMAT": "json",
    "PROMETHEUS_TOKEN": "scrape-token",
    "GUNICORN_BIND": "0.0.0.0:8000",
    "TRUST_X_FORWARDED_PROTO": "1",
    "CSRF_TRUSTED_ORIGINS": "https://ops.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
}


def _run(*args: str, **environ: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **environ}
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def _check_deploy(**environ: str) -> subprocess.CompletedProcess:
    return _run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **environ)


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = _check_deploy(**PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_proxy_settings_come_from_the_environment():
    probe = "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER, s.CSRF_TRUSTED_ORIGINS)"

    assert _run("-c", f"import django; django.setup(); {probe}", **PRODUCTION_ENV).stdout.strip() == (
        "('HTTP_X_FORWARDED_PROTO', 'https') ['https://ops.example.com']"
    )
    assert _run("-c", f"import django; django.setup(); {probe}", SECRET_KEY="k").stdout.strip() == "None []"


def test_check_deploy_reports_each_https_setting_left_out():
    result = _check_deploy(SECRET_KEY=PRODUCTION_ENV["SECRET_KEY"])

    assert result.returncode != 0
    assert set(re.findall(r"security\.W\d+", result.stderr)) == {
        "security.W004", "security.W008", "security.W012", "security.W016"
    }


@pytest.fixture
def tls_proxy(settings):
    """Settings of a deployment behind a TLS proxy that sets X-Forwarded-Proto."""
    settings.ALLOWED_HOSTS = ["ops.example.com", "10.0.0.5"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CSRF_TRUSTED_ORIGINS = ["https://ops.example.com"]
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


def _login_over_tls(*, path: str, host: str, username: str) -> tuple[Client, object]:
    client = Client(enforce_csrf_checks=True, HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https")
    page = client.get(path)
    assert page.status_code == 200
    response = client.post(
        path,
        {"username": username, "password": "password", "csrfmiddlewaretoken": page.cookies["csrftoken"].value},
        HTTP_ORIGIN="https://ops.example.com",
    )
    return client, response


@pytest.mark.parametrize("path", ["/api-auth/login/", "/admin/login/"])
@pytest.mark.parametrize("host", ["ops.example.com", "10.0.0.5"])  # the proxy keeps or rewrites the Host header
def test_session_login_through_a_tls_proxy(db, tls_proxy, path, host):
    UserFactory(username="clerk", is_staff=True)

    client, response = _login_over_tls(path=path, host=host, username="clerk")

    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert client.session["_auth_user_id"]


@pytest.mark.parametrize("path", ["/api-auth/login/", "/admin/login/"])
def test_login_through_a_tls_proxy_is_refused_without_the_https_settings(db, tls_proxy, settings, path, caplog):
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.CSRF_TRUSTED_ORIGINS = []
    UserFactory(username="clerk", is_staff=True)

    _, response = _login_over_tls(path=path, host="ops.example.com", username="clerk")

    assert response.status_code == 403
    assert "Origin checking failed" in caplog.text

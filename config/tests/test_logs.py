"""Request ids and JSON log lines: the fields are there, query strings and tokens are not."""
import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from staff.factories import UserFactory


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [("req-2f9c1a7e.edge:42", True), ("short", False), ("x" * 129, False), ("bad id; drop table", False)],
)
def test_a_plain_incoming_request_id_is_echoed_and_anything_else_replaced(incoming, kept):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=incoming)

    if kept:
        assert response["X-Request-ID"] == incoming
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_each_request_gets_its_own_id():
    first, second = Client().get("/healthz"), Client().get("/healthz")

    assert first["X-Request-ID"] != second["X-Request-ID"]


REQUESTS = """
import django
django.setup()
from django.test import Client
import sys
key = sys.argv[1]
Client().get("/api/v1/ops/dashboard/metrics?period=week&include=bookings", HTTP_AUTHORIZATION=f"Token {key}",
             HTTP_X_REQUEST_ID="trace-0001-aaaa")
Client().get("/api/v1/ops/dashboard/metrics?period=secret-query", HTTP_AUTHORIZATION="Token not-a-real-token-0042")
"""


def test_json_lines_carry_request_fields_and_no_query_strings_or_tokens(transactional_db):
    user = UserFactory(username="root", is_superuser=True)
    key = Token.objects.create(user=user).key
    database = connection.settings_dict
    env = {
        "PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "k",
        "ALLOWED_HOSTS": "testserver", "LOG_FORMAT": "json", "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }

    result = subprocess.run(
        [sys.executable, "-c", REQUESTS, key], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60,
    )

    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "config.requests"]
    assert [(line["status"], line["user_id"]) for line in requests] == [(200, user.pk), (401, None)]
    ok = requests[0]
    assert ok["request_id"] == "trace-0001-aaaa"
    assert (ok["level"], ok["path"], ok["method"]) == ("INFO", "/api/v1/ops/dashboard/metrics", "GET")
    assert ok["message"] == "GET /api/v1/ops/dashboard/metrics 200"
    assert isinstance(ok["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", ok["timestamp"])
    assert re.fullmatch(r"[0-9a-f]{32}", requests[1]["request_id"])
    # Django logs the 401 after the middleware has returned: the record still carries the request's id.
    unauthorized = next(line for line in lines if line["logger"] == "django.request")
    assert (unauthorized["request_id"], unauthorized["status_code"]) == (requests[1]["request_id"], 401)
    for secret in (key, "not-a-real-token-0042", "period=", "secret-query", "Authorization"):
        assert secret not in result.stderr

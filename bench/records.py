"""Cold timings of the records and per-staff endpoints (issue 17) through the in-process API client.

    DATABASE_URL=postgres://…/ops_records manage.py seed_demo --bookings 100000 --complaints 20000 --staff 200
    DATABASE_URL=postgres://…/ops_records .venv/bin/python -m bench.records

Each request runs with an empty cache (the per-staff payload is cached; records pages are not): the median of 7.
"""
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

REQUESTS = [
    ("records sla.breached, first page", "/api/v1/ops/dashboard/records", {"figure": "sla.breached"}),
    ("records bookings.total month, first page", "/api/v1/ops/dashboard/records",
     {"figure": "bookings.total", "period": "month"}),
    ("records complaints.total all, first page", "/api/v1/ops/dashboard/records", {"figure": "complaints.total"}),
    ("staff all", "/api/v1/ops/dashboard/staff", {}),
    ("staff month", "/api/v1/ops/dashboard/staff", {"period": "month"}),
    ("metrics month, staff=one id (scan)", "/api/v1/ops/dashboard/metrics", {"period": "month", "staff": None}),
]


def main() -> None:
    user, _ = get_user_model().objects.get_or_create(username="bench-records", defaults={"is_superuser": True})
    client = APIClient(SERVER_NAME="localhost")
    client.force_authenticate(user)
    some_staff = str(__import__("staff.models", fromlist=["Staff"]).Staff.objects.order_by("pk").first().pk)
    for label, url, query in REQUESTS:
        query = {key: value if value is not None else some_staff for key, value in query.items()}
        timings = []
        for _ in range(7):
            cache.clear()
            started = time.perf_counter()
            response = client.get(url, query)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content[:300]
        body = response.json()
        size = body.get("count", len(body.get("rows", [])))
        print(f"{label:45s} median {statistics.median(timings):7.1f} ms  (count/rows {size})")


if __name__ == "__main__":
    main()

"""WSGI entry point; connections of the web server get the request statement and lock timeouts."""
import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from config.database import apply_request_timeouts


def refuse_gunicorn_without_multiprocess_metrics() -> None:
    """Under gunicorn, PROMETHEUS_MULTIPROC_DIR must be set (gunicorn.conf.py does): else each scrape shows one worker."""
    if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/") and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        raise ImproperlyConfigured(
            "gunicorn started without the project's gunicorn.conf.py (it sets up PROMETHEUS_MULTIPROC_DIR, which "
            "sums the workers' metrics): start it from the repository root, pass -c gunicorn.conf.py, or set "
            "PROMETHEUS_MULTIPROC_DIR to an empty writable directory."
        )


refuse_gunicorn_without_multiprocess_metrics()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

apply_request_timeouts()

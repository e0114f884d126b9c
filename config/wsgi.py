"""WSGI entry point; connections of the web server get the request statement and lock timeouts."""
import os

from django.core.wsgi import get_wsgi_application

from config.database import apply_request_timeouts

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

apply_request_timeouts()

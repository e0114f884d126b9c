"""gunicorn settings from the environment, read by gunicorn from its working directory: from the repository root,
`gunicorn config.wsgi:application` (elsewhere, `-c /path/to/gunicorn.conf.py`)."""
import os
import shutil
import tempfile
from pathlib import Path

from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker

_port = os.environ.get("PORT", "8000")
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{_port}")

# The local-memory cache (neither REDIS_URL nor REDIS_SENTINELS) lives in one process: several workers would not
# see each other's invalidations, so the embedded default runs one worker (with threads) unless WEB_CONCURRENCY
# says otherwise.
_shared_cache = os.environ.get("REDIS_URL") or os.environ.get("REDIS_SENTINELS")
workers = int(os.environ.get("WEB_CONCURRENCY") or (2 if _shared_cache else 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"

# A request stuck longer than `timeout` gets its worker restarted (the database's own timeouts answer sooner);
# on SIGTERM, requests in flight get `graceful_timeout` to finish while the listener no longer accepts.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# One control socket per instance (gunicorn's default path is shared by every instance of the user).
_runtime_dir = Path(os.environ.get("XDG_RUNTIME_DIR") or Path.home() / ".gunicorn")
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", str(_runtime_dir / f"ops-metrics-{_port}.ctl"))
control_socket_mode = 0o600

# Access log without query strings or credentials: client, method, path, status, bytes, ms, request id.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
errorlog = "-"

# Each worker counts its own Prometheus metrics: prometheus_client's multiprocess mode sums them in a directory
# set before the workers import prometheus_client. Always set up (any worker count: TTIN may add workers), and
# config.wsgi refuses to serve under gunicorn without it, so no start can expose one worker's share as the total.
_own_multiproc_dir: list[str] = []


def on_starting(server: Arbiter) -> None:
    """A fresh PROMETHEUS_MULTIPROC_DIR for this server, or the one given, which must be a writable directory."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        if not (os.path.isdir(given) and os.access(given, os.W_OK | os.X_OK)):
            raise RuntimeError(f"PROMETHEUS_MULTIPROC_DIR={given} is not a writable directory")
        return
    _own_multiproc_dir.append(tempfile.mkdtemp(prefix="ops-metrics-prometheus-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_multiproc_dir[0]


def child_exit(server: Arbiter, worker: Worker) -> None:
    """A worker gone: its live gauges leave the multiprocess sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Arbiter) -> None:
    """The directory created for the multiprocess metrics goes with the server."""
    for directory in _own_multiproc_dir:
        shutil.rmtree(directory, ignore_errors=True)

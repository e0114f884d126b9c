"""Fixtures of the alert tests: a real HTTP receiver on 127.0.0.1, the settings that let alerts reach it, rules."""
import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ops_metrics.models import OpsAlertRule, OpsWebhookEndpoint


def spec_signature_valid(*, secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check, written from the spec: HMAC-SHA256 of "id.timestamp.body" under the decoded secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(candidate, expected) for candidate in headers["webhook-signature"].split(" "))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: answers the scripted statuses in order (then 200), records every request."""

    port: int = 0
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        status = self.receiver.statuses.pop(0) if self.receiver.statuses else 200
        if self.receiver.delay:
            time.sleep(self.receiver.delay)
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", f"http://127.0.0.1:{self.receiver.port}/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    """A receiver serving on an ephemeral port of 127.0.0.1 for the test's duration."""
    state = Receiver()
    handler = type("Handler", (_Handler,), {"receiver": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def local_webhooks(settings):
    """Let webhooks use http and reach 127.0.0.1 (the receiver); both are refused by default."""
    settings.OPS_ALERTS_ALLOW_HTTP = True
    settings.OPS_ALERTS_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def endpoint(db, receiver, local_webhooks) -> OpsWebhookEndpoint:
    return OpsWebhookEndpoint.objects.create(name="pager", url=receiver.url)


@pytest.fixture
def make_rule(db):
    def make(**fields) -> OpsAlertRule:
        defaults = {"name": "breaches", "figure": "sla.breached", "period": "all", "comparator": ">",
                    "threshold": 0}
        webhooks = fields.pop("webhooks", [])
        rule = OpsAlertRule.objects.create(**{**defaults, **fields})
        rule.webhooks.set(webhooks)
        return rule

    return make

"""Outbound webhook POSTs behind an address guard: https only, no private addresses, no second DNS lookup, no redirects."""
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ops_metrics import app_settings

TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 4096
USER_AGENT = "ops-metrics-alerts/1"


class AddressRefused(Exception):
    """The URL's scheme or resolved address is not allowed (docs/api.md, webhook notifications)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the resolved address) and what to name (Host header, TLS SNI)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def address_allowed(address: str) -> bool:
    """Whether an address is public unicast (not private, loopback, link-local, reserved, shared or multicast)."""
    ip = ipaddress.ip_address(address.partition("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> Target:
    """Resolve the URL's host once and check the scheme and every address it resolves to; AddressRefused if not allowed.

    Every address must pass (a name that resolves to one public and one private address is refused), and the caller
    connects to the address checked here, so a second lookup cannot swap in another (DNS rebinding).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and app_settings.alerts_allow_http()):
        raise AddressRefused(f"scheme {scheme or '(none)'!r} refused: https only (http needs OPS_ALERTS_ALLOW_HTTP)")
    if not parts.hostname:
        raise AddressRefused("the URL has no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise AddressRefused(f"invalid port: {exc}") from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"cannot resolve {parts.hostname}: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not app_settings.alerts_allow_private_networks():
        refused = [address for address in addresses if not address_allowed(address)]
        if refused:
            raise AddressRefused(
                f"{parts.hostname} resolves to a non-public address ({', '.join(refused)}); "
                "set OPS_ALERTS_ALLOW_PRIVATE_NETWORKS to allow it"
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=parts.hostname, port=port, path=path, address=addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a given address while naming the URL's host in the Host header."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a given address; TLS with the URL's host as SNI and as the name the certificate must match."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float | None = None) -> int:
    """POST `body` to `url` after the address guard; the response status (redirects are not followed).

    AddressRefused before any connection; OSError or http.client.HTTPException when there is no answer in `timeout`
    seconds (connecting and reading together; TIMEOUT_SECONDS by default).
    """
    target = check_url(url)
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    deadline = time.monotonic() + timeout
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers,
        })
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer within the timeout")
        connection.sock.settimeout(remaining)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return response.status
    finally:
        connection.close()

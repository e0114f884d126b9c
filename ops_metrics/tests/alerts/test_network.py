"""The address guard: https only, public addresses only (by default), one DNS lookup, the URL's host named."""
import socket
import ssl

import pytest

from ops_metrics.alerts import network
from ops_metrics.alerts.network import AddressRefused, check_url, post


@pytest.mark.parametrize("url", ["http://example.com/hook", "ftp://example.com/x", "//example.com/x"])
def test_only_https_by_default(url):
    with pytest.raises(AddressRefused, match="https only"):
        check_url(url)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
    "240.0.0.1", "[::1]", "[fe80::1]", "[fc00::1]", "[::ffff:127.0.0.1]",
])
def test_private_loopback_link_local_reserved_and_multicast_addresses_are_refused(address):
    with pytest.raises(AddressRefused, match="non-public address"):
        check_url(f"https://{address}/hook")


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 443)),
    ])

    with pytest.raises(AddressRefused, match="10.0.0.7"):
        check_url("https://hooks.example.com/x")


def test_public_addresses_pass_and_the_checked_address_is_kept(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))])

    target = check_url("https://hooks.example.com/x?a=1")

    assert (target.host, target.port, target.path, target.address) == ("hooks.example.com", 443, "/x?a=1",
                                                                       "93.184.215.14")


def test_the_settings_open_http_and_private_networks(settings):
    settings.OPS_ALERTS_ALLOW_HTTP = True
    settings.OPS_ALERTS_ALLOW_PRIVATE_NETWORKS = True

    assert check_url("http://127.0.0.1:9/x").address == "127.0.0.1"


def test_the_post_connects_to_the_checked_address_with_the_urls_host_and_resolves_once(
    receiver, local_webhooks, monkeypatch
):
    lookups = []
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        lookups.append(host)
        return real("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)

    status = post(url=f"http://alerts.invalid:{receiver.port}/hook", body=b"{}", headers={})

    assert status == 200
    assert [host for host in lookups if host != "127.0.0.1"] == ["alerts.invalid"]  # the address itself: no lookup
    assert receiver.requests[0].headers["host"] == f"alerts.invalid:{receiver.port}"


def test_https_names_the_host_for_sni_and_certificate_checks(monkeypatch):
    seen = {}

    class FakeContext(ssl.SSLContext):
        def wrap_socket(self, sock, server_hostname=None, **kwargs):
            seen["server_hostname"] = server_hostname
            sock.close()
            raise OSError("stop here")

    monkeypatch.setattr(network.ssl, "create_default_context", lambda: FakeContext(ssl.PROTOCOL_TLS_CLIENT))
    monkeypatch.setattr(network, "check_url", lambda url: network.Target("https", "hooks.example.com", 443, "/",
                                                                          "127.0.0.1"))
    monkeypatch.setattr(network.socket, "create_connection",
                        lambda address, timeout: seen.setdefault("address", address) and socket.socket())

    with pytest.raises(OSError, match="stop here"):
        post(url="https://hooks.example.com/", body=b"{}", headers={})

    assert seen == {"address": ("127.0.0.1", 443), "server_hostname": "hooks.example.com"}

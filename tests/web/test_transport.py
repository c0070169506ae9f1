"""Outbound HTTP: a real server on loopback answers; the seam classifies what went wrong, never
keeps what the server said, and goes only where it is allowed to go."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from followthrough.web import transport
from followthrough.web.transport import (
    BlockedDestination,
    ErrorKind,
    TransportError,
    address_problem,
    request,
    url_problem,
)

SECRET_BODY = "INTERNAL-ONLY db_password=hunter2"


class _Handler(BaseHTTPRequestHandler):
    seen_hosts: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.seen_hosts.append(self.headers.get("Host", ""))
        status = int(self.path.strip("/") or 200)
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "7")
        if 300 <= status < 400:
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.end_headers()
        self.wfile.write(b'{"ok": true}' if status == 200 else SECRET_BODY.encode())

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_2xx_answer_is_returned_with_its_json(server: str, allow_loopback: None) -> None:
    assert request("POST", f"{server}/200", json={}).json() == {"ok": True}


def test_a_429_is_transient_and_says_how_long_to_wait(server: str, allow_loopback: None) -> None:
    with pytest.raises(TransportError) as e:
        request("POST", f"{server}/429", json={})
    assert not e.value.permanent and e.value.retry_after == 7 and e.value.status == 429
    assert e.value.kind is ErrorKind.RATE_LIMITED


def test_a_5xx_is_transient_and_a_4xx_permanent(server: str, allow_loopback: None) -> None:
    with pytest.raises(TransportError) as e5:
        request("POST", f"{server}/503", json={})
    assert not e5.value.permanent and e5.value.kind is ErrorKind.SERVER
    with pytest.raises(TransportError) as e4:
        request("POST", f"{server}/401", json={})
    assert e4.value.permanent and e4.value.kind is ErrorKind.AUTH
    with pytest.raises(TransportError) as e404:
        request("POST", f"{server}/404", json={})
    assert e404.value.permanent and e404.value.kind is ErrorKind.CLIENT


@pytest.mark.parametrize("status", [302, 400, 401, 404, 500, 503])
def test_an_error_says_the_status_and_its_class_but_never_what_the_server_answered(
    server: str, allow_loopback: None, status: int
) -> None:
    with pytest.raises(TransportError) as e:
        request("POST", f"{server}/{status}", json={})
    assert f"answered {status}" in str(e.value)
    assert "INTERNAL-ONLY" not in str(e.value) and "hunter2" not in str(e.value)


def test_a_redirect_is_not_followed(server: str, allow_loopback: None) -> None:
    with pytest.raises(TransportError) as e:
        request("GET", f"{server}/302")
    assert e.value.kind is ErrorKind.REDIRECT and e.value.permanent
    assert "169.254" not in str(e.value)


def test_a_server_that_is_down_is_a_transient_error_naming_only_the_host(
    allow_loopback: None,
) -> None:
    with pytest.raises(TransportError) as e:
        request("POST", "http://127.0.0.1:9/services/T000/B000/secret-token", json={})
    assert not e.value.permanent and e.value.kind is ErrorKind.CONNECTION
    assert "secret-token" not in str(e.value)


# --- where requests may go -------------------------------------------------------------------


def test_without_the_allow_list_loopback_is_refused_before_anything_is_sent(server: str) -> None:
    _Handler.seen_hosts.clear()
    with pytest.raises(BlockedDestination) as e:
        request("POST", f"{server}/200", json={})
    assert e.value.permanent and e.value.kind is ErrorKind.BLOCKED
    assert "refused: 127.0.0.1 resolves to a loopback address" in str(e.value)
    assert "OUTBOUND_ALLOWED_HOSTS" in str(e.value)
    assert _Handler.seen_hosts == []


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("169.254.10.1", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.100.100.200", "cloud metadata"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::a9fe:a9fe", "cloud metadata"),
        ("2002:a00:1::", "private"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_internal_addresses_are_refused(address: str, words: str) -> None:
    assert words in address_problem(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) == ""


def _resolving_to(monkeypatch: pytest.MonkeyPatch, *answers: list[str]) -> list[str]:
    """Make the resolver answer each call with the next list of addresses; returns the names
    it was asked for."""
    asked: list[str] = []
    queue = list(answers)
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return real(host, port, *args, **kwargs)  # an address: nothing to look up
        asked.append(host)
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(transport.socket, "getaddrinfo", fake)
    return asked


def test_a_name_resolving_to_a_private_address_is_refused_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _resolving_to(monkeypatch, ["10.0.0.5"])
    with pytest.raises(BlockedDestination) as e:
        request("GET", "https://jira.attacker.example/rest/api/3/myself")
    assert str(e.value).startswith(
        "refused: jira.attacker.example resolves to a private address (10.0.0.5)"
    )


def test_one_internal_address_among_public_ones_is_enough_to_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _resolving_to(monkeypatch, ["93.184.216.34", "169.254.169.254"])
    with pytest.raises(BlockedDestination, match="cloud metadata"):
        request("GET", "https://mixed.example/")


def test_the_connection_goes_to_the_address_that_was_checked_not_a_second_answer(
    monkeypatch: pytest.MonkeyPatch, server: str, settings: Any
) -> None:
    """DNS rebinding: a first answer passes the check, a second would point inside. There is
    no second look-up: the request goes to the checked address with the name as Host."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.0/8"]
    port = server.rsplit(":", 1)[1]
    asked = _resolving_to(monkeypatch, ["127.0.0.1"], ["10.9.9.9"])
    _Handler.seen_hosts.clear()
    assert request("POST", f"http://rebind.example:{port}/200").json() == {"ok": True}
    assert asked == ["rebind.example"]
    assert _Handler.seen_hosts == [f"rebind.example:{port}"]


def test_an_allowed_network_covers_names_that_resolve_into_it(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["10.2.0.0/16"]
    _resolving_to(monkeypatch, ["10.3.0.1"])
    with pytest.raises(BlockedDestination, match="private address"):
        request("GET", "https://jira.corp.example/")


def test_plain_http_goes_only_to_allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, ["93.184.216.34"])
    with pytest.raises(BlockedDestination, match="only https"):
        request("GET", "http://example.com/")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://acme.atlassian.net", ""),
        ("https://hooks.slack.com/services/T0/B0/x", ""),
        ("http://hooks.slack.com/services/T0/B0/x", "Use https://"),
        ("https://127.0.0.1:8080/", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("https://10.0.0.1/", "private"),
        ("https://localhost/", "internal name"),
        ("https://metadata.google.internal/", "internal name"),
        ("https://jira/", "internal name"),
        ("https://user:pass@acme.atlassian.net/", "credentials"),
        ("ftp://acme.atlassian.net/", "https://"),
        ("not a url", "https://"),
    ],
)
def test_a_url_is_checked_when_it_is_saved(url: str, problem: str) -> None:
    found = url_problem(url)
    assert (problem in found) if problem else found == ""


def test_an_allowed_host_may_be_saved_with_plain_http(settings: Any) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["jira.corp", "127.0.0.1"]
    assert url_problem("http://jira.corp:8080/") == ""
    assert url_problem("http://127.0.0.1:9000/") == ""


# --- TLS to a pinned address: the certificate is still checked against the name ---------------


def _certificate(tmp: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for ``name`` signed by it (files: ca, cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = (tmp / "ca.pem", tmp / "cert.pem", tmp / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """An https server on 127.0.0.1 whose certificate names jira.example.com only."""
    ca, cert, key = _certificate(tmp_path, "jira.example.com")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], ca
    httpd.shutdown()


def test_tls_to_the_pinned_address_checks_the_certificate_against_the_name(
    tls_server: tuple[int, Path], monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    port, ca = tls_server
    monkeypatch.setattr(transport, "_SSL", ssl.create_default_context(cafile=str(ca)))
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.0/8"]
    _resolving_to(monkeypatch, ["127.0.0.1"])
    _Handler.seen_hosts.clear()
    assert request("POST", f"https://jira.example.com:{port}/200").json() == {"ok": True}
    assert _Handler.seen_hosts == [f"jira.example.com:{port}"]
    # The same address under another name: its certificate does not name it.
    with pytest.raises(TransportError) as e:
        request("POST", f"https://evil.example.com:{port}/200")
    assert e.value.kind is ErrorKind.TLS and e.value.permanent

"""Outbound HTTP through one seam: where a request may go, timeouts, and what a failure says.

Every call to Slack, Jira, Linear, GitHub, a team's webhook or an identity provider goes
through ``request``. Decided here and nowhere else:

- **Where.** A URL someone typed into a page or the API (a tracker's base URL, a Slack
  webhook) can name anything, so the host is resolved once, every address it resolves to
  is checked, and the connection goes to the address that was checked (no second look-up
  that a rebinding DNS server could answer differently). Loopback, link-local (cloud
  metadata: 169.254.169.254, fd00:ec2::254), private (RFC 1918, ULA), carrier-grade NAT,
  multicast, unspecified and reserved addresses are refused, unless the host is named in
  the operator's ``OUTBOUND_ALLOWED_HOSTS`` (host names, addresses or networks). Redirects
  are never followed: a 3xx is an error like any other. Proxies from the environment are
  not used (a proxy would resolve the name itself).
- **What a failure says.** ``TransportError`` carries a classification (``ErrorKind``), the
  HTTP status and ``Retry-After``, and a message built only from the method, the scheme and
  host, the status and the classification. The remote body is never part of an error, so
  nothing that stores or shows an error can show what an internal server answered.
- **Whether to retry.** 5xx, 429, 408, timeouts and connection errors are transient; other
  4xx, refused addresses, redirects and TLS failures are permanent. Retrying is the
  caller's business (``followthrough.web.lib.delivery``); this seam never sleeps.

Headers and bodies are never logged; URLs are logged and reported as scheme and host only
(a Slack webhook's path is its secret).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
from django.conf import settings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
# Building an SSL context costs ~200 ms; every request shares this one.
_SSL = httpx.create_ssl_context()

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Settings only the operator writes (the environment), never a page or the API: the hosts of
# these URLs are trusted like the allow-list (an identity provider on the company network).
OPERATOR_URL_SETTINGS = ("OIDC_ISSUER",)


class ErrorKind(StrEnum):
    """What went wrong, in a word a page can show and a retry policy can read."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    BLOCKED = "blocked"
    TLS = "tls"
    REDIRECT = "redirect"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    CLIENT = "client"
    SERVER = "server"
    VENDOR = "vendor"
    SETTINGS = "settings"
    WITHDRAWN = "withdrawn"
    UNEXPECTED = "unexpected"

    @property
    def label(self) -> str:
        return ERROR_LABELS[self]


ERROR_LABELS: dict[ErrorKind, str] = {
    ErrorKind.TIMEOUT: "timed out",
    ErrorKind.CONNECTION: "could not connect",
    ErrorKind.BLOCKED: "address refused",
    ErrorKind.TLS: "TLS failed",
    ErrorKind.REDIRECT: "redirect not followed",
    ErrorKind.AUTH: "credentials refused",
    ErrorKind.RATE_LIMITED: "rate limited",
    ErrorKind.CLIENT: "request refused",
    ErrorKind.SERVER: "server error",
    ErrorKind.VENDOR: "refused by the vendor",
    ErrorKind.SETTINGS: "settings incomplete",
    ErrorKind.WITHDRAWN: "withdrawn",
    ErrorKind.UNEXPECTED: "unexpected error",
}
TRANSIENT_KINDS = frozenset(
    {ErrorKind.TIMEOUT, ErrorKind.CONNECTION, ErrorKind.RATE_LIMITED, ErrorKind.SERVER}
)


def classify_status(status: int) -> ErrorKind:
    """The classification of a non-2xx HTTP status."""
    if 300 <= status < 400:
        return ErrorKind.REDIRECT
    if status in (401, 403):
        return ErrorKind.AUTH
    if status in (425, 429):
        return ErrorKind.RATE_LIMITED
    if status == 408:
        return ErrorKind.TIMEOUT
    if status >= 500:
        return ErrorKind.SERVER
    return ErrorKind.CLIENT


class TransportError(Exception):
    """An outbound call that did not succeed.

    ``message`` is our own sentence: never put a remote body (or text taken from one) in
    it. ``kind`` defaults from ``status`` (or to ``VENDOR`` for a permanent refusal without
    one, ``CONNECTION`` otherwise); ``permanent`` says whether trying again can help.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        super().__init__(message)
        if kind is None:
            if status is not None:
                kind = classify_status(status)
            else:
                kind = ErrorKind.VENDOR if permanent else ErrorKind.CONNECTION
        self.kind = kind
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after


class BlockedDestination(TransportError):
    """The URL names a place outbound requests may not go (the message says which rule)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True, kind=ErrorKind.BLOCKED)


@dataclass
class Response:
    status: int
    headers: httpx.Headers
    text: str

    def json(self) -> Any:
        return httpx.Response(self.status, text=self.text).json() if self.text else None


# --- where requests may go -----------------------------------------------------------------

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("169.254.170.2"),
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("192.0.0.192"),
    ipaddress.ip_address("fd00:ec2::254"),
}
_INTERNAL_NAMES = ("localhost", "metadata.google.internal", "metadata")
_INTERNAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain")


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_problem(ip: IPAddress) -> str:
    """Why an address may not be called, in words ("a loopback address"); "" when it may."""
    inner = _embedded_v4(ip)
    if inner is not None:
        return address_problem(inner)
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a carrier-grade NAT address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a non-public address"
    return ""


def _allow_list() -> tuple[set[str], list[IPNetwork]]:
    names: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in getattr(settings, "OUTBOUND_ALLOWED_HOSTS", []) or []:
        text = str(entry).strip().lower().strip("[]")
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            names.add(text.rstrip("."))
    for name in OPERATOR_URL_SETTINGS:
        value = getattr(settings, name, "") or ""
        if value:
            host = httpx.URL(str(value)).host
            if host:
                names.add(host.lower())
    return names, networks


def host_allowed(host: str, addresses: Iterable[IPAddress] = ()) -> bool:
    """Whether the operator allows this host (by name, or every address in an allowed network)."""
    names, networks = _allow_list()
    host = host.lower().rstrip(".").strip("[]")
    if host in names:
        return True
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    candidates = [literal] if literal is not None else list(addresses)
    return bool(candidates) and all(any(ip in net for net in networks) for ip in candidates)


URL_RULE = (
    "https:// only; addresses inside the network (loopback, private, link-local, cloud "
    "metadata) are refused unless the operator lists the host in OUTBOUND_ALLOWED_HOSTS."
)


def url_problem(url: str) -> str:
    """What is wrong with ``url`` as a place to send requests to, in a sentence; "" if nothing.

    Checked when a URL is saved (no DNS look-up: the name may not resolve from where it is
    typed, and it is looked up again, and checked, on every request): https (http only for
    an allowed host), a host, no credentials in it, and no internal name or address.
    """
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        return "This is not a URL."
    host = (parsed.host or "").lower().rstrip(".")
    if parsed.scheme not in ("https", "http") or not host:
        return "Give a full https:// URL."
    if parsed.userinfo:
        return "Leave credentials out of the URL; there are fields for them."
    allowed = host_allowed(host)
    if parsed.scheme != "https" and not allowed:
        return f"Use https:// ({host} is not on the operator's OUTBOUND_ALLOWED_HOSTS list)."
    if allowed:
        return ""
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if problem := address_problem(literal):
            return f"Refused: {host} is {problem}; ask the operator to add it to OUTBOUND_ALLOWED_HOSTS."
        return ""
    if host in _INTERNAL_NAMES or host.endswith(_INTERNAL_SUFFIXES) or "." not in host:
        return (
            f"Refused: {host} is an internal name; ask the operator to add it to "
            "OUTBOUND_ALLOWED_HOSTS."
        )
    return ""


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise TransportError(f"{host} could not be resolved", kind=ErrorKind.CONNECTION) from e
    found: list[IPAddress] = []
    for info in infos:
        # The scope of a link-local IPv6 address ("fe80::1%eth0") is not part of the address.
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if ip not in found:
            found.append(ip)
    return found


@dataclass(frozen=True)
class Destination:
    """Where a checked request goes: the URL to ask for and the headers that keep the name."""

    url: httpx.URL
    host_header: str
    sni_hostname: str


def destination(url: str) -> Destination:
    """Check ``url`` and pin it to an address: raises ``BlockedDestination`` with the reason.

    The name is resolved here, once; the request then goes to that address, with the name in
    the Host header and in TLS (SNI and certificate check), so DNS cannot change the answer
    between the check and the connection.
    """
    parsed = httpx.URL(url)
    host = (parsed.host or "").lower()
    if parsed.scheme not in ("https", "http") or not host:
        raise BlockedDestination(f"refused: {url_for_log(url)} is not an http(s) URL")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    addresses = [literal] if literal is not None else _resolve(host, port)
    allowed = host_allowed(host, addresses)
    if not allowed:
        for ip in addresses:
            if problem := address_problem(ip):
                raise BlockedDestination(
                    f"refused: {host} resolves to {problem} ({ip}); outbound requests go only "
                    "to public addresses unless the operator lists the host in "
                    "OUTBOUND_ALLOWED_HOSTS"
                )
        if parsed.scheme != "https":
            raise BlockedDestination(
                f"refused: {url_for_log(url)} is plain http; only https is sent to hosts not "
                "on OUTBOUND_ALLOWED_HOSTS"
            )
    if literal is not None:
        return Destination(parsed, "", "")
    pinned = parsed.copy_with(host=str(addresses[0]))
    default_port = parsed.port is None
    host_header = host if default_port else f"{host}:{parsed.port}"
    return Destination(pinned, host_header, host)


# --- the request ---------------------------------------------------------------------------


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _is_tls(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def request(
    method: str,
    url: str,
    *,
    json: Any = None,
    data: Any = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
) -> Response:
    """One HTTP request to a checked address. 2xx returns; anything else raises
    ``TransportError`` (``BlockedDestination`` for a refused address)."""
    where = url_for_log(url)
    target = destination(url)
    sent_headers = dict(headers or {})
    extensions: dict[str, Any] = {}
    if target.host_header:
        sent_headers["Host"] = target.host_header
        extensions["sni_hostname"] = target.sni_hostname
    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=False, verify=_SSL, trust_env=False
        ) as client:
            outgoing = client.build_request(
                method,
                target.url,
                json=json,
                data=data,
                headers=sent_headers,
                params=params,
                extensions=extensions,
            )
            r = client.send(outgoing, auth=auth, stream=True)
            try:
                body = _read_capped(r, f"{method} {where}")
            finally:
                r.close()
    except httpx.TimeoutException as e:
        raise TransportError(f"{method} {where} timed out", kind=ErrorKind.TIMEOUT) from e
    except httpx.HTTPError as e:
        if _is_tls(e):
            raise TransportError(
                f"{method} {where}: TLS failed (certificate or handshake)",
                permanent=True,
                kind=ErrorKind.TLS,
            ) from e
        raise TransportError(
            f"{method} {where} failed: {type(e).__name__}", kind=ErrorKind.CONNECTION
        ) from e
    if 200 <= r.status_code < 300:
        return Response(r.status_code, r.headers, body)
    kind = classify_status(r.status_code)
    log.warning("%s %s answered %s", method, where, r.status_code)
    raise TransportError(
        f"{method} {where} answered {r.status_code} ({kind.label})",
        permanent=kind not in TRANSIENT_KINDS,
        status=r.status_code,
        retry_after=_retry_after(r.headers),
        kind=kind,
    )


def _read_capped(response: httpx.Response, what: str) -> str:
    """The body as text, at most ``MAX_RESPONSE_BYTES`` (a vendor answers in kilobytes)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise TransportError(
                f"{what} answered more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB",
                permanent=True,
                status=response.status_code,
                kind=ErrorKind.VENDOR,
            )
        chunks.append(chunk)
    encoding = response.charset_encoding or "utf-8"
    return b"".join(chunks).decode(encoding, errors="replace")


def url_for_log(url: str) -> str:
    """Scheme and host only: paths (Slack webhook URLs) and queries may carry secrets."""
    try:
        u = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "an invalid URL"
    return f"{u.scheme}://{u.host}{':' + str(u.port) if u.port else ''}"

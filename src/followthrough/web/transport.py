"""Outbound HTTP through one seam: timeouts, error classification and secrets kept out of logs.

Every call to Slack, Jira, Linear or GitHub goes through ``request``. A failure says whether
trying again may help (``TransportError.permanent``) and, for 429/503, how long to wait.
Retrying is the caller's business (the worker reschedules with backoff); this seam never
sleeps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Building an SSL context costs ~200 ms; every request shares this one.
_SSL = httpx.create_ssl_context()


class TransportError(Exception):
    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after


@dataclass
class Response:
    status: int
    headers: httpx.Headers
    text: str

    def json(self) -> Any:
        return httpx.Response(self.status, text=self.text).json() if self.text else None


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


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
    """One HTTP request. 2xx returns; anything else raises ``TransportError``.

    5xx, 429, timeouts and connection errors are transient; other 4xx are permanent
    (a bad token or payload will not fix itself). Headers and bodies are never logged.
    """
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, verify=_SSL) as client:
            r = client.request(
                method, url, json=json, data=data, headers=headers, params=params, auth=auth
            )
    except httpx.TimeoutException as e:
        raise TransportError(f"{method} {_host(url)} timed out") from e
    except httpx.HTTPError as e:
        raise TransportError(f"{method} {_host(url)} failed: {type(e).__name__}") from e
    if 200 <= r.status_code < 300:
        return Response(r.status_code, r.headers, r.text)
    transient = r.status_code >= 500 or r.status_code in (408, 425, 429)
    log.warning("%s %s answered %s", method, _host(url), r.status_code)
    raise TransportError(
        f"{method} {_host(url)} answered {r.status_code}: {r.text[:200]}",
        permanent=not transient,
        status=r.status_code,
        retry_after=_retry_after(r.headers),
    )


def _host(url: str) -> str:
    """Scheme and host only: paths (Slack webhook URLs) and queries may carry secrets."""
    u = httpx.URL(url)
    return f"{u.scheme}://{u.host}{':' + str(u.port) if u.port else ''}"

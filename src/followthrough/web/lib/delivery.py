"""The one retryable delivery: something sent to a vendor until it goes through (a message in the
outbox, an issue pushed to a tracker).

A row that subclasses ``RetryableDelivery`` gets:

- ``delivery_key``: a UUID unique to the row, created with it and sent with every attempt
  (e-mail Message-ID, Slack message metadata, an ``Idempotency-Key`` header, a tracker's
  marker), so a second attempt after a crash is recognisably the same delivery.
- a lease: ``claim`` takes the row with one conditional UPDATE that sets ``claimed_by`` (the
  worker id) and ``claimed_until`` (``LEASE`` from now) and counts the attempt, so exactly
  one worker holds it; a worker that dies leaves the lease to expire.
- attempts and backoff: ``backoff`` waits 1, 2, 4 ... minutes (``BACKOFF_BASE`` doubling, at
  most ``BACKOFF_MAX``), never less than the vendor's ``Retry-After``; after
  ``MAX_ATTEMPTS`` or a permanent failure the row is given up.
- the last error as data: ``last_error_kind`` (an ``ErrorKind``), ``last_error_status`` (the
  HTTP status, if there was one) and ``last_error``, a sentence built by ``Failure.sentence``
  from those and our own words. There is no way to store a remote body: ``Failure`` has no
  field for one, ``TransportError`` never carries one, and a vendor's error code is kept only
  when it looks like a code (``vendor_code``).

Outcomes are written by ``record`` only while the writer still holds the lease, and survive
a database restart between the send and the write (the send has happened; losing the write
would send it again).

The states a row moves through (pending, sending, sent, failed; or a tracker link's) are
the subclass's own; ``due`` conditions are built from ``lease_free`` and its states.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.db import InterfaceError, OperationalError, connections, models
from django.db.models import F, Q
from django.utils import timezone

from followthrough.web.transport import ERROR_LABELS, ErrorKind, TransportError

__all__ = [
    "DeliveryError",
    "ErrorKind",
    "Failure",
    "RetryableDelivery",
    "backoff",
    "vendor_code",
]

log = logging.getLogger(__name__)

LAST_ERROR_LENGTH = 500
_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def vendor_code(value: object) -> str:
    """A vendor's error code (Slack's ``channel_not_found``) if it looks like one, else
    ``"unknown_error"``: free text from a remote answer is never kept."""
    text = str(value) if isinstance(value, str | int) else ""
    return text if _CODE.match(text) else "unknown_error"


@dataclass(frozen=True)
class Failure:
    """Why an attempt failed, as data: a classification, the HTTP status, a vendor code, and a
    note in our own words (never text from the remote answer)."""

    kind: ErrorKind
    permanent: bool
    status: int | None = None
    retry_after: float | None = None
    code: str = ""
    note: str = ""

    @classmethod
    def of(cls, error: BaseException) -> Failure:
        """The failure an exception stands for; an unknown exception is an unexpected,
        transient failure named by its type only."""
        if isinstance(error, DeliveryError):
            return error.failure
        if isinstance(error, TransportError):
            return cls(
                error.kind,
                error.permanent,
                status=error.status,
                retry_after=error.retry_after,
                note=str(error),
            )
        return cls(
            ErrorKind.UNEXPECTED,
            permanent=False,
            note=f"unexpected error ({type(error).__name__}); it was logged",
        )

    def sentence(self) -> str:
        """What pages and the API show: our note, else the classification, with the status
        and the vendor's code."""
        words = self.note or ERROR_LABELS[self.kind]
        if self.status is not None and str(self.status) not in words:
            words += f" (HTTP {self.status})"
        if self.code and self.code not in words:
            words += f": {self.code}"
        return words[:LAST_ERROR_LENGTH]


class DeliveryError(Exception):
    """Raised by a sender for a failure that is not a ``TransportError`` (a vendor's refusal
    inside a 200, missing settings)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.sentence())
        self.failure = failure

    @classmethod
    def vendor(cls, what: str, code: object, *, permanent: bool) -> DeliveryError:
        """``"<what>: <code>"`` for a vendor's refusal with an error code."""
        clean = vendor_code(code)
        return cls(Failure(ErrorKind.VENDOR, permanent, code=clean, note=f"{what}: {clean}"))

    @classmethod
    def settings(cls, note: str) -> DeliveryError:
        return cls(Failure(ErrorKind.SETTINGS, permanent=True, note=note))


def backoff(
    attempts: int,
    retry_after: float | None = None,
    *,
    base: timedelta = timedelta(minutes=1),
    maximum: timedelta = timedelta(hours=6),
) -> timedelta:
    """How long to wait after the ``attempts``-th failure: ``base`` doubling, at most
    ``maximum``; the vendor's ``Retry-After`` when that is longer."""
    delay = min(base * (2 ** max(0, attempts - 1)), maximum)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


RECONNECT_DELAYS = (0.5, 1.0, 2.0, 4.0)


class RetryableDelivery(models.Model):
    """Attempts, backoff, a lease and the last error, for rows sent until they go through."""

    LEASE: ClassVar[timedelta] = timedelta(minutes=5)
    BACKOFF_BASE: ClassVar[timedelta] = timedelta(minutes=1)
    BACKOFF_MAX: ClassVar[timedelta] = timedelta(hours=6)
    MAX_ATTEMPTS: ClassVar[int] = 10

    delivery_key = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Sent with every attempt, so a second attempt is recognisably the same.",
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=LAST_ERROR_LENGTH, blank=True)
    last_error_kind = models.CharField(max_length=16, blank=True)
    last_error_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        abstract = True

    # --- the lease ---------------------------------------------------------------------

    @staticmethod
    def lease_free(now: datetime) -> Q:
        """Rows nobody holds: never claimed, or their lease has run out."""
        return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)

    @classmethod
    def claim(
        cls, pk: int, worker: str, due: Q, *, now: datetime | None = None, **also: Any
    ) -> bool:
        """Take row ``pk`` for ``LEASE`` if it matches ``due``, counting the attempt and
        setting ``also`` (e.g. ``status="sending"``) in the same UPDATE. True only for the
        one worker whose UPDATE counted the row. ``due`` must include ``lease_free`` (or an
        expired lease of a row in flight)."""
        now = now or timezone.now()
        taken = (
            cls._default_manager.filter(due, pk=pk).update(
                claimed_by=worker[:64],
                claimed_until=now + cls.LEASE,
                attempts=F("attempts") + 1,
                **also,
            )
            == 1
        )
        return taken

    @classmethod
    def record(cls, pk: int, worker: str, **fields: Any) -> bool:
        """Write an attempt's outcome, only while ``worker`` holds the row; retried on a
        fresh connection if the database restarted meanwhile. False when the lease was lost
        (another worker took the row after ours ran out)."""
        rows = cls._default_manager.filter(pk=pk, claimed_by=worker[:64])
        conn = connections[rows.db]
        for delay in (*RECONNECT_DELAYS, None):
            try:
                return rows.update(**fields) == 1
            except (OperationalError, InterfaceError) as e:
                if delay is None or conn.in_atomic_block:
                    raise
                log.warning("Recording %s %s failed (%s); reconnecting.", cls.__name__, pk, e)
                conn.close()
                time.sleep(delay)
        return False  # pragma: no cover (the loop returns or raises)

    # --- outcomes ----------------------------------------------------------------------

    @classmethod
    def backoff(cls, attempts: int, retry_after: float | None = None) -> timedelta:
        return backoff(attempts, retry_after, base=cls.BACKOFF_BASE, maximum=cls.BACKOFF_MAX)

    @classmethod
    def gives_up(cls, attempts: int, failure: Failure) -> bool:
        """Whether this failure ends the row's attempts."""
        return failure.permanent or attempts >= cls.MAX_ATTEMPTS

    @classmethod
    def failure_fields(
        cls, attempts: int, failure: Failure, now: datetime | None = None
    ) -> dict[str, Any]:
        """The fields of a failed attempt (``attempts`` already counted): the error as data,
        the lease released, the next attempt after the backoff (None when giving up)."""
        now = now or timezone.now()
        final = cls.gives_up(attempts, failure)
        return {
            "last_error": failure.sentence(),
            "last_error_kind": failure.kind.value,
            "last_error_status": failure.status,
            "next_attempt_at": None if final else now + cls.backoff(attempts, failure.retry_after),
            "claimed_until": None,
        }

    @staticmethod
    def success_fields() -> dict[str, Any]:
        """The fields of an attempt that went through: no error, no lease, nothing scheduled."""
        return {
            "last_error": "",
            "last_error_kind": "",
            "last_error_status": None,
            "next_attempt_at": None,
            "claimed_until": None,
        }

    def last_failure_label(self) -> str:
        """The classification of the last error in words ("server error"), or ""."""
        try:
            return ERROR_LABELS[ErrorKind(self.last_error_kind)]
        except ValueError:
            return ""

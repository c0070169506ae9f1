"""The retryable-delivery base: backoff, failures as data, and no room for a remote body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from followthrough.web.lib.delivery import (
    DeliveryError,
    ErrorKind,
    Failure,
    RetryableDelivery,
    backoff,
    vendor_code,
)
from followthrough.web.transport import TransportError

NOW = datetime(2026, 3, 23, 9, tzinfo=UTC)


def test_backoff_doubles_from_a_minute_up_to_six_hours_and_honours_retry_after() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert backoff(20) == timedelta(hours=6)
    assert backoff(1, retry_after=300) == timedelta(seconds=300)
    assert backoff(5, retry_after=1) == timedelta(minutes=16)


def test_a_transport_error_becomes_a_failure_with_its_class_and_status() -> None:
    error = TransportError("POST https://x.example answered 503 (server error)", status=503)
    failure = Failure.of(error)
    assert (failure.kind, failure.status, failure.permanent) == (ErrorKind.SERVER, 503, False)
    assert failure.sentence() == "POST https://x.example answered 503 (server error)"


def test_an_unknown_exception_is_named_by_its_type_only() -> None:
    failure = Failure.of(ValueError("SELECT secret FROM vault"))
    assert failure.kind is ErrorKind.UNEXPECTED and not failure.permanent
    assert "ValueError" in failure.sentence() and "vault" not in failure.sentence()


def test_a_vendor_code_is_kept_only_when_it_looks_like_a_code() -> None:
    assert vendor_code("channel_not_found") == "channel_not_found"
    assert vendor_code("<html>Internal: db_password=hunter2</html>") == "unknown_error"
    assert vendor_code({"error": "x"}) == "unknown_error"
    refused = DeliveryError.vendor("Slack refused the message", "not a code at all", permanent=True)
    assert refused.failure.sentence() == "Slack refused the message: unknown_error"


def test_a_failure_schedules_the_next_attempt_or_gives_up() -> None:
    transient = Failure(ErrorKind.RATE_LIMITED, permanent=False, status=429, retry_after=300)
    fields = RetryableDelivery.failure_fields(1, transient, NOW)
    assert fields["next_attempt_at"] == NOW + timedelta(seconds=300)
    assert fields["last_error_kind"] == "rate_limited" and fields["last_error_status"] == 429
    assert fields["last_error"] == "rate limited (HTTP 429)"
    assert RetryableDelivery.failure_fields(10, transient, NOW)["next_attempt_at"] is None
    permanent = Failure(ErrorKind.AUTH, permanent=True, status=401)
    assert RetryableDelivery.failure_fields(1, permanent, NOW)["next_attempt_at"] is None


def test_the_stored_sentence_is_bounded() -> None:
    failure = Failure(ErrorKind.SETTINGS, permanent=True, note="x" * 2000)
    assert len(failure.sentence()) == 500

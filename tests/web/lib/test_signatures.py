"""The one signature helper: vendors' published test vectors, rotation, replay windows, and
refusals that say why without giving anything away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from followthrough.web.lib.signatures import (
    SignatureError,
    StaleSignature,
    check_shared_secret,
    check_time,
    content_key,
    hmac_hex,
    offered_signatures,
    sign,
    signature_parts,
    verify,
)

# GitHub's worked example ("Validating webhook deliveries"): secret, payload and signature.
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_PAYLOAD = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

# Slack's worked example ("Verifying requests from Slack").
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_githubs_published_example_verifies_with_the_sha256_scheme() -> None:
    assert sign(GITHUB_SECRET, GITHUB_PAYLOAD, "sha256") == GITHUB_SIGNATURE
    verify(GITHUB_SECRET, GITHUB_PAYLOAD, GITHUB_SIGNATURE, scheme="sha256")


def test_slacks_published_example_verifies_over_v0_timestamp_body() -> None:
    message = f"v0:{SLACK_TIMESTAMP}:".encode() + SLACK_BODY
    verify(SLACK_SECRET, message, SLACK_SIGNATURE, scheme="v0", header="X-Slack-Signature")
    with pytest.raises(SignatureError, match="X-Slack-Signature"):
        verify("another secret", message, SLACK_SIGNATURE, scheme="v0", header="X-Slack-Signature")


def test_a_bare_hex_signature_has_the_empty_scheme() -> None:
    digest = hmac_hex("linear-secret", b"{}")
    verify("linear-secret", b"{}", digest)
    verify("linear-secret", b"{}", digest.upper())  # hex compares case-insensitively


def test_any_of_several_signatures_in_one_header_may_match_during_rotation() -> None:
    old, new = sign("old", b"body"), sign("new", b"body")
    header = f"t=1,v1={old},v1={new}"
    assert signature_parts(header) == {"t": ["1"], "v1": [old, new]}
    verify("new", b"body", header, scheme="v1")
    verify("old", b"body", header, scheme="v1")
    verify(["retired", "new"], b"body", f"v1={new}", scheme="v1")  # our side rotating


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("v0=abc", "no signature of the form v1=<hex>"),
        ("v1=" + "0" * 64, "No signature"),
    ],
)
def test_a_missing_misshapen_or_wrong_signature_is_refused_with_the_reason(
    header: str | None, reason: str
) -> None:
    with pytest.raises(SignatureError, match=reason) as refused:
        verify("s3cret", b"body", header, scheme="v1", header="X-Signature")
    assert "s3cret" not in str(refused.value)
    assert hmac_hex("s3cret", b"body") not in str(refused.value)


def test_without_a_secret_nothing_verifies() -> None:
    with pytest.raises(SignatureError, match="No secret is set"):
        verify("", b"body", "v1=" + hmac_hex("", b"body"), scheme="v1")
    with pytest.raises(SignatureError, match="No secret is set"):
        check_shared_secret("", "")


def test_a_prefix_of_another_scheme_is_not_taken_for_ours() -> None:
    assert offered_signatures("sha1=abc,sha256=DEF", "sha256") == ["def"]


def test_the_shared_secret_header_is_compared_whole() -> None:
    check_shared_secret("token-123", " token-123 ")
    for offered in (None, "", "token-12", "token-1234", "TOKEN-123"):
        with pytest.raises(SignatureError):
            check_shared_secret("token-123", offered, header="X-Followthrough-Token")


def test_a_time_outside_the_window_is_refused_saying_by_how_much() -> None:
    now = 1_772_456_400.0
    assert check_time(str(int(now) - 300), now, 300) == now - 300
    with pytest.raises(StaleSignature, match="5 minutes old; more than 5 minutes is refused"):
        check_time(int(now) - 301, now, 300, what="The Slack request timestamp")
    with pytest.raises(StaleSignature, match="in the future"):
        check_time(now + 301, now, 300)
    with pytest.raises(SignatureError, match="not a Unix time"):
        check_time("yesterday", now, 300)


def test_an_aware_datetime_is_checked_and_a_separate_future_allowance_applies() -> None:
    now = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    check_time(now - timedelta(hours=23), now.timestamp(), 86400, future=300)
    with pytest.raises(StaleSignature, match="2 days old"):
        check_time(now - timedelta(days=2), now.timestamp(), 86400, future=300)
    with pytest.raises(StaleSignature, match="future"):
        check_time(now + timedelta(minutes=6), now.timestamp(), 86400, future=300)
    with pytest.raises(SignatureError, match="time zone"):
        check_time(datetime(2026, 3, 2, 13, 0), now.timestamp(), 86400)  # noqa: DTZ001


def test_the_content_key_is_stable_and_tells_parts_apart() -> None:
    assert content_key("1", b"body") == content_key(b"1", "body")
    assert content_key("ab", "c") != content_key("a", "bc")
    assert content_key(b"x").startswith("sha256:")

"""Known-answer tests of each signature scheme: fixed secret, body and timestamp, a digest
worked out independently (hard-coded here), and what verify.py accepts or refuses."""

from __future__ import annotations

import base64

import pytest

from followthrough.web.ingest.events import BadSignature
from followthrough.web.integrations.opsgenie import verify as opsgenie
from followthrough.web.integrations.pagerduty import verify as pagerduty
from followthrough.web.integrations.slack import verify as slack
from followthrough.web.integrations.webhook import verify as webhook

BODY = b'{"event":{"id":"01EVT"}}'
PD_DIGEST = "94a7cfa80d48e970f19fe491e25c246be50a0953b93d85288b9eba1df252be58"
PD_OLD_SECRET_DIGEST = "0e793aabeebf58412032f2948710202958ab168e01202661d2c86dbaf6e3bd71"
T = 1772456400  # 2026-03-02 13:00:00 UTC
WEBHOOK_DIGEST = "4981f6bf44d1a92d00bcca1dbf811e84b91193d26548ced91c80be836e8c0417"

# Slack's worked example in "Verifying requests from Slack".
SLACK_DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_DOC_TIMESTAMP = "1531420618"
SLACK_DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


# --- PagerDuty ---------------------------------------------------------------------------


def test_pagerduty_signature_is_hex_hmac_sha256_of_the_raw_body() -> None:
    assert pagerduty.expected_signature("pd-known-answer-secret", BODY) == f"v1={PD_DIGEST}"
    pagerduty.verify(
        "pd-known-answer-secret", {"X-PagerDuty-Signature": f"v1={PD_DIGEST}"}, BODY, T
    )


def test_pagerduty_accepts_any_of_several_signatures_during_secret_rotation() -> None:
    header = f"v1={PD_OLD_SECRET_DIGEST},v1={PD_DIGEST}"
    pagerduty.verify("pd-known-answer-secret", {"X-PagerDuty-Signature": header}, BODY, T)
    pagerduty.verify("pd-old-secret", {"X-PagerDuty-Signature": header}, BODY, T)


@pytest.mark.parametrize(
    "header",
    [
        "",
        f"v1={PD_OLD_SECRET_DIGEST}",
        f"v0={PD_DIGEST}",
        f"v1={PD_DIGEST[:-1]}0",
        PD_DIGEST,
    ],
)
def test_pagerduty_refuses_a_wrong_missing_or_unversioned_signature(header: str) -> None:
    with pytest.raises(BadSignature):
        pagerduty.verify("pd-known-answer-secret", {"X-PagerDuty-Signature": header}, BODY, T)


def test_pagerduty_refuses_a_body_changed_by_one_byte() -> None:
    with pytest.raises(BadSignature):
        pagerduty.verify(
            "pd-known-answer-secret",
            {"X-PagerDuty-Signature": f"v1={PD_DIGEST}"},
            BODY.replace(b"01EVT", b"01EVU"),
            T,
        )


# --- generic webhook ------------------------------------------------------------------------


def test_webhook_signature_is_hmac_of_timestamp_dot_body() -> None:
    assert webhook.expected_signature("whsec-known-answer", str(T), BODY) == WEBHOOK_DIGEST
    header = {"X-Followthrough-Signature": f"t={T},v1={WEBHOOK_DIGEST}"}
    webhook.verify("whsec-known-answer", header, BODY, T + 10)


def test_webhook_timestamps_older_than_five_minutes_are_refused_as_replays() -> None:
    header = {"X-Followthrough-Signature": f"t={T},v1={WEBHOOK_DIGEST}"}
    webhook.verify("whsec-known-answer", header, BODY, T + 300)
    with pytest.raises(BadSignature, match="5 minutes"):
        webhook.verify("whsec-known-answer", header, BODY, T + 301)
    with pytest.raises(BadSignature, match="5 minutes"):
        webhook.verify("whsec-known-answer", header, BODY, T - 301)


def test_webhook_signature_does_not_carry_over_to_another_timestamp() -> None:
    header = {"X-Followthrough-Signature": f"t={T + 1},v1={WEBHOOK_DIGEST}"}
    with pytest.raises(BadSignature):
        webhook.verify("whsec-known-answer", header, BODY, T)


@pytest.mark.parametrize("header", ["", f"v1={WEBHOOK_DIGEST}", f"t={T}", "t=abc,v1=00"])
def test_webhook_refuses_an_incomplete_signature_header(header: str) -> None:
    with pytest.raises(BadSignature):
        webhook.verify("whsec-known-answer", {"X-Followthrough-Signature": header}, BODY, T)


# --- Slack ----------------------------------------------------------------------------------


def test_slack_documented_example_verifies() -> None:
    assert (
        slack.expected_signature(SLACK_DOC_SECRET, SLACK_DOC_TIMESTAMP, SLACK_DOC_BODY)
        == SLACK_DOC_SIGNATURE
    )
    headers = {
        "X-Slack-Request-Timestamp": SLACK_DOC_TIMESTAMP,
        "X-Slack-Signature": SLACK_DOC_SIGNATURE,
    }
    slack.verify(SLACK_DOC_SECRET, headers, SLACK_DOC_BODY, int(SLACK_DOC_TIMESTAMP) + 60)


def test_slack_timestamps_older_than_five_minutes_are_refused() -> None:
    headers = {
        "X-Slack-Request-Timestamp": SLACK_DOC_TIMESTAMP,
        "X-Slack-Signature": SLACK_DOC_SIGNATURE,
    }
    with pytest.raises(BadSignature, match="5 minutes"):
        slack.verify(SLACK_DOC_SECRET, headers, SLACK_DOC_BODY, int(SLACK_DOC_TIMESTAMP) + 301)


def test_slack_refuses_another_secret_or_a_changed_body() -> None:
    headers = {
        "X-Slack-Request-Timestamp": SLACK_DOC_TIMESTAMP,
        "X-Slack-Signature": SLACK_DOC_SIGNATURE,
    }
    now = int(SLACK_DOC_TIMESTAMP)
    with pytest.raises(BadSignature):
        slack.verify("another-secret", headers, SLACK_DOC_BODY, now)
    with pytest.raises(BadSignature):
        slack.verify(SLACK_DOC_SECRET, headers, SLACK_DOC_BODY + b"&x=1", now)
    with pytest.raises(BadSignature):
        slack.verify(SLACK_DOC_SECRET, {**headers, "X-Slack-Signature": ""}, SLACK_DOC_BODY, now)


# --- Opsgenie (shared secret, no signature) --------------------------------------------------


def test_opsgenie_token_header_or_basic_auth_password_must_equal_the_secret() -> None:
    opsgenie.verify("s3cret-token", {"X-Followthrough-Token": "s3cret-token"}, BODY, T)
    basic = "Basic " + base64.b64encode(b"opsgenie:s3cret-token").decode()
    opsgenie.verify("s3cret-token", {"Authorization": basic}, BODY, T)
    for headers in (
        {},
        {"X-Followthrough-Token": "s3cret-tokeN"},
        {"Authorization": "Basic " + base64.b64encode(b"opsgenie:nope").decode()},
        {"Authorization": "Basic !!notbase64"},
        {"Authorization": "Bearer s3cret-token"},
    ):
        with pytest.raises(BadSignature):
            opsgenie.verify("s3cret-token", headers, BODY, T)

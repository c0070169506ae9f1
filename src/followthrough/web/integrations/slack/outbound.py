"""Notifications to Slack: ``chat.postMessage`` with a bot token (a direct message when the
member id is known, else the team's channel), or the team's incoming webhook.

Slack has no idempotency key for posting a message. What it has, and what is used:

- ``chat.postMessage`` takes message ``metadata`` (``event_type`` + ``event_payload``), kept
  with the message and readable by apps (``conversations.history`` with
  ``include_all_metadata``): every message carries ``{"event_type":
  "followthrough_notification", "event_payload": {"delivery_key": ...}}``.
- Incoming webhooks take no metadata; there the key rides in the message's context line
  (``ref 1a2b3c4d``), so a person seeing the same message twice can tell it is one message.
- Every request also sends ``Idempotency-Key: <delivery key>`` (Slack ignores it; a proxy or
  a Slack-compatible receiver may not).

Errors: chat.postMessage answers HTTP 200 ``{"ok": false, "error": "<code>"}``; the code is
kept (``vendor_code``), never anything else from the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from followthrough.web import transport
from followthrough.web.lib.delivery import DeliveryError

if TYPE_CHECKING:
    from followthrough.web.accounts.models import Person, Team
    from followthrough.web.followup.models import Notification, Preferences, TeamSettings

SLACK_API_URL = "https://slack.com/api"
# Slack's limits: 3000 characters in a section block's text, 50 blocks per message.
SLACK_SECTION_LIMIT = 3000
SLACK_MAX_BLOCKS = 50
# chat.postMessage answers HTTP 200 {"ok": false, "error": ...}; these errors are worth a retry.
SLACK_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
METADATA_EVENT = "followthrough_notification"


def wants(person: Person, prefs: Preferences, team: Team | None, conf: TeamSettings | None) -> bool:
    return bool(prefs.slack_enabled and team is not None and conf is not None and conf.has_slack())


def slack_escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(row: Notification, mention: str = "") -> dict[str, Any]:
    """``{"text", "blocks"}``: the text is the notification fallback, the blocks the message.
    The last block names the delivery key, so a second copy is recognisably the same."""
    head = f"{mention} " if mention else ""
    title = f"{head}*{slack_escape(row.subject)}*"
    body = slack_escape(row.text)
    chunks = [body[i : i + SLACK_SECTION_LIMIT] for i in range(0, len(body), SLACK_SECTION_LIMIT)]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": title}}]
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
        for chunk in chunks[: SLACK_MAX_BLOCKS - 2]
    ]
    context = [f"<{row.url}|Open>"] if row.url else []
    context.append(f"ref {str(row.delivery_key)[:8]}")
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]}
    )
    return {"text": f"{head}{row.subject}"[:3000], "blocks": blocks}


def send(row: Notification) -> None:
    from followthrough.web.followup.models import Preferences, TeamSettings

    if row.team is None:
        raise DeliveryError.settings("no team to take the Slack settings from")
    conf = TeamSettings.of(row.team)
    prefs = Preferences.of(row.recipient) if row.recipient is not None else None
    mention = prefs.slack_mention() if prefs is not None else ""
    key = {"Idempotency-Key": str(row.delivery_key)}
    if conf.slack_bot_token and conf.slack_channel:
        # A direct message when the member id is known, else the team channel.
        member = prefs.slack_member() if prefs is not None else ""
        payload = slack_payload(row, "" if member else mention)
        payload["channel"] = member or conf.slack_channel
        payload["metadata"] = {
            "event_type": METADATA_EVENT,
            "event_payload": {"delivery_key": str(row.delivery_key)},
        }
        base = str(getattr(settings, "SLACK_API_URL", SLACK_API_URL)).rstrip("/")
        response = transport.request(
            "POST",
            f"{base}/chat.postMessage",
            json=payload,
            headers={"Authorization": f"Bearer {conf.slack_bot_token}", **key},
        )
        answer = response.json() or {}
        if not isinstance(answer, dict) or not answer.get("ok"):
            error = answer.get("error") if isinstance(answer, dict) else None
            raise DeliveryError.vendor(
                "Slack refused the message",
                error,
                permanent=str(error) not in SLACK_TRANSIENT_ERRORS,
            )
    elif conf.slack_webhook_url:
        transport.request(
            "POST", conf.slack_webhook_url, json=slack_payload(row, mention), headers=key
        )
    else:
        raise DeliveryError.settings("the team has no Slack webhook or bot token any more")

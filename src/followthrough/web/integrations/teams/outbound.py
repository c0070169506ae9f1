"""Notifications to a team's Microsoft Teams channel: an Adaptive Card posted to the channel's
Workflows webhook (or a legacy incoming webhook), in the message envelope Teams documents
("Send Adaptive Cards using an Incoming Webhook"; Power Automate's "Post card in a chat or
channel" reads the same ``attachments``).

Neither kind of webhook has an idempotency key or message metadata. What is carried:

- ``Idempotency-Key: <delivery key>`` on every request (Teams ignores it; a proxy may not);
- the key's first eight characters in the card's footer (``ref 1a2b3c4d``) and the full key
  as the footer's element ``id``, so a second copy after a crash is recognisably the same.

Answers: Workflows accepts with 202; a legacy webhook answers 200 with the body ``1``, and
reports some failures inside a 200 ("... returned HTTP error 429 ..."): only the status
number is kept from that text, as the vendor code ``http_429``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from followthrough.web import transport
from followthrough.web.lib.delivery import DeliveryError

if TYPE_CHECKING:
    from followthrough.web.accounts.models import Person, Team
    from followthrough.web.followup.models import Notification, Preferences, TeamSettings

KIND = "teams"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
# Teams refuses a message over about 28 KB; the text is cut well below that.
TEXT_LIMIT = 12_000
MAX_LINES = 80
# Characters Teams' TextBlock markdown acts on: escaped so a title typed by someone cannot
# become a link or formatting in the channel.
_MARKDOWN = re.compile(r"([\\`*_\[\]#~])")
_TRAILING_LINK = re.compile(r" <https?://[^\s<>]+>$")
_LEGACY_ERROR = re.compile(r"HTTP error (\d{3})")


def wants(person: Person, prefs: Preferences, team: Team | None, conf: TeamSettings | None) -> bool:
    """Whoever a team's message is for, it goes to the team's Teams channel once one is set."""
    return team is not None and conf is not None and _webhook_url(conf) != ""


def _webhook_url(conf: TeamSettings) -> str:
    settings = conf.channel_settings(KIND)
    return str(settings.webhook_url) if settings is not None else ""


def escape(text: str) -> str:
    """Text with Markdown's characters escaped; a trailing link (`` <https://...>``, as the
    plain text ends a line with its page) is kept as it is, so it stays a working link."""
    link = _TRAILING_LINK.search(text)
    head, tail = (text[: link.start()], link.group(0)) if link else (text, "")
    return _MARKDOWN.sub(r"\\\1", head) + tail


def _text_blocks(text: str, url: str) -> list[dict[str, Any]]:
    """One TextBlock a line (Teams folds single newlines inside a TextBlock); the text's last
    line, "Open: <url>", is the card's Open button instead."""
    lines = [
        line
        for line in text[:TEXT_LIMIT].splitlines()
        if line.strip() and not (url and line == f"Open: {url}")
    ]
    blocks = []
    for line in lines[:MAX_LINES]:
        item = line.startswith("  - ")
        blocks.append(
            {
                "type": "TextBlock",
                "text": ("• " + escape(line[4:])) if item else escape(line.strip()),
                "wrap": True,
                "spacing": "None" if item else "Medium",
            }
        )
    return blocks


def card(row: Notification) -> dict[str, Any]:
    """The Adaptive Card of a notification: the subject, who it is for, the text, a button to
    the page, and the footer with the delivery key."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": escape(row.subject),
            "size": "Medium",
            "weight": "Bolder",
            "wrap": True,
        }
    ]
    if row.recipient is not None:
        body.append(
            {
                "type": "TextBlock",
                "text": f"For {escape(row.recipient.name)}",
                "isSubtle": True,
                "spacing": "None",
                "wrap": True,
            }
        )
    body += _text_blocks(row.text, row.url)
    key = str(row.delivery_key)
    body.append(
        {
            "type": "TextBlock",
            "id": f"followthrough-{key}",
            "text": f"followthrough · ref {key[:8]}",
            "isSubtle": True,
            "size": "Small",
            "wrap": True,
        }
    )
    content: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if row.url:
        content["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": row.url}]
    return content


def envelope(row: Notification) -> dict[str, Any]:
    """The message Teams' webhooks take: one attachment, the card."""
    return {
        "type": "message",
        "attachments": [
            {"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card(row)}
        ],
    }


def send(row: Notification) -> None:
    from followthrough.web.followup.models import TeamSettings

    if row.team is None:
        raise DeliveryError.settings("no team to take the Teams channel from")
    url = _webhook_url(TeamSettings.of(row.team))
    if not url:
        raise DeliveryError.settings("the team has no Teams webhook URL any more")
    response = transport.request(
        "POST", url, json=envelope(row), headers={"Idempotency-Key": str(row.delivery_key)}
    )
    answer = response.text.strip()
    # A legacy incoming webhook says "1"; Workflows answers 202 with nothing to read.
    if response.status == 200 and answer and answer != "1":
        found = _LEGACY_ERROR.search(answer)
        status = int(found.group(1)) if found else 0
        raise DeliveryError.vendor(
            "Teams refused the message",
            f"http_{status}" if status else "unknown_error",
            permanent=not (status == 429 or status >= 500),
        )

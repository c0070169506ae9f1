"""A slash command's form body -> a SlashCommand.

Slack posts ``application/x-www-form-urlencoded``: ``team_id``, ``channel_id``, ``user_id``,
``command``, ``text``, ``response_url``, ``trigger_id`` (and more we do not use: ``user_name``
above all, which Slack deprecated in 2017 and anyone can type). The text is split into a
subcommand and its argument.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from followthrough.web.ingest.events import Malformed

SUBCOMMANDS = ("start", "mine", "done", "link", "help")
SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]{2,30}$")


@dataclass(frozen=True)
class SlashCommand:
    team_id: str
    channel_id: str
    user_id: str
    command: str
    subcommand: str
    argument: str
    response_url: str


def form_of(body: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as e:
        raise Malformed(f"the body is not a URL-encoded form ({e}).") from e


def claimed_team_id(body: bytes) -> str:
    """The workspace the (not yet verified) request claims to come from; "" if none."""
    try:
        value = (form_of(body).get("team_id") or [""])[0].strip()
    except Malformed:
        return ""
    return value if SLACK_ID.match(value) else ""


def is_ssl_check(body: bytes, query: Mapping[str, str]) -> bool:
    """Slack's certificate check: ``ssl_check=1`` (with a token), to be answered 200."""
    if query.get("ssl_check") == "1":
        return True
    try:
        return (form_of(body).get("ssl_check") or [""])[0] == "1"
    except Malformed:
        return False


def parse(body: bytes, headers: Mapping[str, str]) -> SlashCommand:
    form = form_of(body)

    def field(name: str, required: bool = False) -> str:
        value = (form.get(name) or [""])[0].strip()
        if required and not value:
            raise Malformed(f"the form has no {name}.")
        if "\x00" in value:
            raise Malformed(f"{name} cannot contain NUL characters.")
        return value

    user_id = field("user_id", required=True)
    if not SLACK_ID.match(user_id):
        raise Malformed("user_id is not a Slack member id.")
    words = field("text").split(None, 1)
    return SlashCommand(
        team_id=field("team_id", required=True),
        channel_id=field("channel_id"),
        user_id=user_id,
        command=field("command", required=True),
        subcommand=words[0].lower() if words else "help",
        argument=words[1].strip() if len(words) > 1 else "",
        response_url=field("response_url"),
    )

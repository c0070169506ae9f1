"""A slash command's form body -> a SlashCommand.

Slack posts ``application/x-www-form-urlencoded``: ``team_id``, ``channel_id``, ``user_id``,
``user_name``, ``command``, ``text``, ``response_url``, ``trigger_id`` (and more we do not
use). The text is split into a subcommand and its argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from followthrough.web.ingest.events import Malformed

SUBCOMMANDS = ("start", "mine", "done", "help")


@dataclass(frozen=True)
class SlashCommand:
    team_id: str
    channel_id: str
    user_id: str
    user_name: str
    command: str
    subcommand: str
    argument: str
    response_url: str


def parse(body: bytes, headers: Mapping[str, str]) -> SlashCommand:
    try:
        form = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as e:
        raise Malformed(f"the body is not a URL-encoded form ({e}).") from e

    def field(name: str, required: bool = False) -> str:
        value = (form.get(name) or [""])[0].strip()
        if required and not value:
            raise Malformed(f"the form has no {name}.")
        if "\x00" in value:
            raise Malformed(f"{name} cannot contain NUL characters.")
        return value

    words = field("text").split(None, 1)
    return SlashCommand(
        team_id=field("team_id"),
        channel_id=field("channel_id"),
        user_id=field("user_id", required=True),
        user_name=field("user_name"),
        command=field("command", required=True),
        subcommand=words[0].lower() if words else "help",
        argument=words[1].strip() if len(words) > 1 else "",
        response_url=field("response_url"),
    )

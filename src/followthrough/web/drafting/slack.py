"""Proposals from the incident's Slack channel: read through the Web API
(``conversations.history`` with the team's bot token) or from an uploaded Slack export.

``conversations.history`` (Slack API docs): ``GET /api/conversations.history?channel=C…&
oldest=<ts>&latest=<ts>&limit=200[&cursor=…]`` with ``Authorization: Bearer xoxb-…``;
answers HTTP 200 ``{"ok": true, "messages": [{"type": "message", "user", "text", "ts"}],
"has_more", "response_metadata": {"next_cursor"}}`` or ``{"ok": false, "error": "…"}``.

A Slack export (Slack help, "How to read Slack data exports") is a zip: ``users.json``,
``channels.json`` and one folder per channel holding one JSON file per day (a list of
messages). The upload is read without extracting anything: a size cap on the upload, on
each member and on the total uncompressed, only ``.json`` members of the chosen channel's
folder, names with ``..`` or an absolute path refused; a bad file changes nothing.

Messages with a subtype (joins, topic changes, bots' housekeeping) are left out; what a
person wrote is quoted as theirs, and the linter decides whether it is a fact.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import IO, Any

from followthrough.web.drafting.proposals import Proposal, quoted
from followthrough.web.transport import TransportError, request

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,30}$")
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
PAGE_LIMIT = 200
MAX_PAGES = 20
MAX_MESSAGES = 500
# Before the incident started and after it resolved: the channel usually opens a little
# before the page and winds down after resolution.
BEFORE = timedelta(hours=1)
AFTER = timedelta(hours=1)

MAX_UPLOAD = 20 * 1024 * 1024
MAX_MEMBER = 5 * 1024 * 1024
MAX_TOTAL = 50 * 1024 * 1024
MAX_MEMBERS = 5000
MAX_RATIO = 200  # a member that inflates more than this is a zip bomb


class SlackProblem(Exception):
    """Slack could not be read, or the export is not one; the message says why, in words."""


def window(started: datetime, resolved: datetime) -> tuple[datetime, datetime]:
    return started - BEFORE, resolved + AFTER


def _ts(value: Any) -> datetime | None:
    try:
        moment = datetime.fromtimestamp(float(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return moment


def archive_link(channel: str, ts: str) -> str:
    """Slack's archive link of a message (opens it in the workspace that has it)."""
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def proposals(
    messages: Iterable[Any],
    channel_id: str,
    channel_label: str,
    names: dict[str, str],
    start: datetime,
    end: datetime,
) -> Iterator[Proposal]:
    """A proposal per message a person wrote within [start, end]."""
    for message in messages:
        if not isinstance(message, dict) or message.get("subtype"):
            continue
        text = message.get("text")
        ts = message.get("ts")
        moment = _ts(ts)
        if not isinstance(text, str) or not text.strip() or moment is None:
            continue
        if not start <= moment <= end:
            continue
        user = str(message.get("user") or "")
        profile = (
            message.get("user_profile") if isinstance(message.get("user_profile"), dict) else {}
        )
        who = names.get(user) or str(profile.get("real_name") or profile.get("name") or user)
        yield Proposal(
            occurred_at=moment,
            description=f"In Slack, {quoted(who, text)}",
            source=f"Slack {channel_label}",
            link=archive_link(channel_id, str(ts)) if channel_id else "",
            origin=f"slack:{channel_id or channel_label}:{ts}",
        )


# --- the Web API -------------------------------------------------------------------------------


def read_history(
    api_url: str, token: str, channel: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Every message of ``channel`` between ``start`` and ``end``, following the cursor."""
    if not token:
        raise SlackProblem(
            "Set the team's Slack bot token (team settings) first; it needs channels:history."
        )
    if not CHANNEL_ID.match(channel):
        raise SlackProblem(f"“{channel}” is not a Slack channel id (C0123ABCD).")
    messages: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(MAX_PAGES):
        params = {
            "channel": channel,
            "oldest": f"{start.timestamp():.6f}",
            "latest": f"{end.timestamp():.6f}",
            "inclusive": "true",
            "limit": str(PAGE_LIMIT),
        }
        if cursor:
            params["cursor"] = cursor
        try:
            answer = request(
                "GET",
                api_url.rstrip("/") + "/conversations.history",
                headers={"Authorization": f"Bearer {token}"},
                params=params,
            ).json()
        except (TransportError, ValueError) as e:
            raise SlackProblem(f"Slack could not be read: {e}") from e
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            code = answer.get("error") if isinstance(answer, dict) else None
            code = code if isinstance(code, str) and re.fullmatch(r"[a-z_]{1,60}", code) else "?"
            raise SlackProblem(f"Slack refused conversations.history: {code}.")
        page = answer.get("messages")
        messages.extend(m for m in (page if isinstance(page, list) else []) if isinstance(m, dict))
        meta = answer.get("response_metadata")
        cursor = str(meta.get("next_cursor") or "") if isinstance(meta, dict) else ""
        if not answer.get("has_more") or not cursor or len(messages) >= MAX_MESSAGES:
            break
    return messages[:MAX_MESSAGES]


# --- an uploaded export --------------------------------------------------------------------------


def _safe(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or "\\" in name or ".." in path.parts or ":" in name:
        raise SlackProblem(
            f"The export holds an unsafe file name ({name[:80]!r}); nothing was read."
        )
    return path


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    if info.file_size > MAX_MEMBER:
        raise SlackProblem(f"{info.filename} is larger than {MAX_MEMBER // 1024 // 1024} MB.")
    if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
        raise SlackProblem(f"{info.filename} inflates too much to be a Slack export (a zip bomb?).")
    with archive.open(info) as member:
        raw = member.read(MAX_MEMBER + 1)
    if len(raw) > MAX_MEMBER:
        raise SlackProblem(f"{info.filename} is larger than it claims; nothing was read.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise SlackProblem(f"{info.filename} is not JSON.") from e


def read_export(upload: IO[bytes], channel: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The messages of ``channel`` (its folder name) in a Slack export zip, and user names."""
    if not CHANNEL_NAME.match(channel):
        raise SlackProblem(f"“{channel}” is not a Slack channel name (as in the export's folders).")
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise SlackProblem("The file is not a zip archive (a Slack export is one).") from e
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise SlackProblem(f"The export holds more than {MAX_MEMBERS} files.")
        wanted: list[zipfile.ZipInfo] = []
        users: zipfile.ZipInfo | None = None
        total = 0
        for info in infos:
            path = _safe(info.filename)
            if info.is_dir() or path.suffix != ".json":
                continue
            if path.parts == ("users.json",):
                users = info
            elif len(path.parts) == 2 and path.parts[0] == channel:
                wanted.append(info)
            else:
                continue
            total += info.file_size
            if total > MAX_TOTAL:
                raise SlackProblem("The export is larger than 50 MB uncompressed.")
        if not wanted:
            raise SlackProblem(f"The export has no folder “{channel}” with daily JSON files.")
        names: dict[str, str] = {}
        if users is not None:
            for user in _read_member(archive, users) or []:
                if isinstance(user, dict) and isinstance(user.get("id"), str):
                    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
                    name = profile.get("real_name") or user.get("real_name") or user.get("name")
                    if isinstance(name, str) and name:
                        names[user["id"]] = name[:100]
        messages: list[dict[str, Any]] = []
        for info in sorted(wanted, key=lambda i: i.filename):
            day = _read_member(archive, info)
            if not isinstance(day, list):
                raise SlackProblem(f"{info.filename} is not a list of messages.")
            messages.extend(m for m in day if isinstance(m, dict))
    return messages, names

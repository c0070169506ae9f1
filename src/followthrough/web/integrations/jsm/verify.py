"""JSM's outgoing webhook cannot sign, but it adds custom headers: the team sets
``X-Followthrough-Token: <secret>`` (or the basic-auth password), checked as Opsgenie's is.

The body carries ``alert.updatedAt`` (nanoseconds in Atlassian's samples, milliseconds
elsewhere). It is not signed, but a captured request replayed later carries the old time: an
alert time more than ``MAX_AGE`` (a day: JSM retries a failed delivery for a while) in the past,
or ``MAX_AHEAD`` in the future, is refused. A delivery without a time (Atlassian's alert
callback example) is identified by its body (``parse``), so a replay of it is a duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from followthrough.web.ingest.events import BadSignature, Malformed, epoch_time
from followthrough.web.integrations.opsgenie import verify as opsgenie
from followthrough.web.lib import signatures

HEADER = opsgenie.HEADER
MAX_AGE = 24 * 3600
MAX_AHEAD = 300


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    opsgenie.verify(secret, headers, body, now)
    try:
        alert = json.loads(body)["alert"]
        moment = epoch_time(alert.get("updatedAt", alert.get("createdAt")), "alert.updatedAt")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, Malformed):
        return  # no readable time: parse says what is wrong, or identifies it by its body
    try:
        signatures.check_time(moment, now, MAX_AGE, future=MAX_AHEAD, what="The alert's updatedAt")
    except signatures.SignatureError as e:
        raise BadSignature(str(e)) from e

"""What a vendor folder provides, and the shape of the one registry entry that names it.

A vendor (PagerDuty, Opsgenie, Slack, the generic webhook, e-mail, ...) lives in
``web/integrations/<kind>/`` and is one ``Vendor`` in ``vendors.VENDORS``. Every field of
``Vendor`` is a place a vendor plugs into; a vendor leaves out what it does not do:

- **Incidents in** (``source_label`` set): an ``IngestSource`` of this kind can be created.
  Its vendor settings are ``settings`` (a pydantic model stored in ``IngestSource.settings``,
  one JSON column: a new vendor needs no migration). With ``verify`` and ``parse``, the
  vendor posts to the shared endpoint ``/ingest/<kind>/<source id>/``
  (``followthrough.web.ingest.receiving``); a vendor with endpoints of its own names their
  URL module in ``urls`` and the endpoint to show in ``endpoint``.
- **Messages out** (``send`` set): the outbox delivers notifications on this channel.

``tests/web/test_vendors.py`` checks every entry against the places it must appear in
(docs/development/adding-an-integration.md lists them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

if TYPE_CHECKING:
    from followthrough.web.accounts.models import Person, Team
    from followthrough.web.followup.models import Notification, Preferences, TeamSettings
    from followthrough.web.ingest.events import IncidentEvent
    from followthrough.web.ingest.models import IngestSource

Severity = Literal["P0", "P1", "P2", "P3"]
SEVERITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3")
VendorValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

# Paging vendors number priorities P1 (highest) to P5; ours run P0 (critical) to P3.
P1_TO_P5: dict[str, str] = {"P1": "P0", "P2": "P1", "P3": "P2", "P4": "P3", "P5": "P3"}

# verify(secret, headers, raw body, now) raises ingest.events.BadSignature.
Verifier = Callable[[str, Mapping[str, str], bytes, float], None]
# parse(raw body, headers, received at) -> IncidentEvent; raises Malformed or Unsupported.
Parser = Callable[[bytes, Mapping[str, str], float], "IncidentEvent"]
# check(source, event): a vendor's own rule on a parsed event; raises Malformed.
Check = Callable[["IngestSource", "IncidentEvent"], None]
# send(notification) raises lib.delivery.DeliveryError or transport.TransportError.
Sender = Callable[["Notification"], None]
# wants(person, prefs, team, team_settings): whether the person gets messages on this channel.
Wants = Callable[["Person", "Preferences", "Team | None", "TeamSettings | None"], bool]


class VendorSettings(BaseModel):
    """A vendor's settings (a source's, or a team's for a channel): validated on every save,
    unknown keys refused. A field made with ``secret(...)`` is write-only: pages and the API
    say whether it is set, never what it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def secret_fields(cls) -> set[str]:
        return {
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("secret")
        }


def _outbound_url(value: str) -> str:
    from followthrough.web.transport import url_problem

    value = value.strip()
    if value and (problem := url_problem(value)):
        raise ValueError(problem)
    return value


# A URL the worker will call: checked like every URL a person types (transport.url_problem).
OutboundURL = Annotated[str, StringConstraints(max_length=500), AfterValidator(_outbound_url)]


def secret(description: str, max_length: int = 500) -> Any:
    """A write-only settings field (a webhook URL with its token in the path, an API key)."""
    return Field(
        default="",
        description=description,
        max_length=max_length,
        json_schema_extra={"secret": True},
    )


class RoutingRule(BaseModel):
    """First match wins: an event whose ``field`` has ``value`` goes to team ``team_id``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    value: VendorValue
    team_id: int


class PagingSettings(VendorSettings):
    """Settings of a paging vendor: routing rules and the severity mapping over the defaults.

    ``ROUTING_FIELDS`` names what a rule can match on; ``DEFAULT_SEVERITY_MAP`` maps the
    vendor's priorities or urgencies to ours, ``"*"`` being the severity of an event that
    carries none of them (or none at all).
    """

    ROUTING_FIELDS: ClassVar[dict[str, str]] = {}
    DEFAULT_SEVERITY_MAP: ClassVar[dict[str, str]] = {}

    routing: list[RoutingRule] = []
    severity_map: dict[VendorValue, Severity] = {}

    @field_validator("routing")
    @classmethod
    def _known_fields(cls, rules: list[RoutingRule]) -> list[RoutingRule]:
        for n, rule in enumerate(rules, start=1):
            if rule.field not in cls.ROUTING_FIELDS:
                allowed = ", ".join(cls.ROUTING_FIELDS) or "none"
                raise ValueError(
                    f"Rule {n} matches on “{rule.field}”; this kind of source routes by: {allowed}."
                )
        return rules

    def severity_for(self, values: tuple[str, ...] | list[str]) -> str:
        """Our severity for the first vendor value the mapping knows; else the ``"*"`` one."""
        mapping = self.effective_severity_map()
        for value in values:
            if value and value.lower() in mapping:
                return mapping[value.lower()]
        return mapping.get("*", "P2")

    def effective_severity_map(self) -> dict[str, str]:
        """The defaults with this source's own entries over them, keys lower-cased."""
        return {
            **{k.lower(): v for k, v in self.DEFAULT_SEVERITY_MAP.items()},
            **{k.lower(): v for k, v in self.severity_map.items()},
        }

    def knows_severity(self, value: str) -> bool:
        """Whether ``value`` is one the mapping names (not just the ``"*"`` fallback)."""
        return value.lower() in (set(self.effective_severity_map()) - {"*"})


@dataclass(frozen=True)
class Vendor:
    """One registry entry: a vendor folder and the places it plugs into (see the module doc)."""

    kind: str
    label: str
    folder: str
    # Incidents in.
    source_label: str = ""
    settings: type[VendorSettings] = VendorSettings
    setup_steps: tuple[str, ...] = ()
    actor_label: str = ""
    verify: Verifier | None = None
    parse: Parser | None = None
    check: Check | None = None
    supported_events: Mapping[str, Any] = field(default_factory=dict)
    # A vendor that drops deliveries answered 4xx (Opsgenie): an authentic delivery it cannot
    # use is answered 200 "ignored" and recorded with the reason.
    answers_malformed_with_2xx: bool = False
    endpoint: str = ""
    urls: str = ""
    # Messages out.
    channel_label: str = ""
    send: Sender | None = None
    wants: Wants | None = None
    # A channel's settings per team (a Teams webhook URL), stored in the one JSON column
    # ``TeamSettings.channels`` under the kind; shown on the team's follow-up page and in the
    # API without a migration. Slack's predate it and are columns of TeamSettings.
    team_settings: type[VendorSettings] | None = None
    # Whether a message on this channel reaches the person alone (e-mail) rather than a
    # channel others read (chat): decides how security incidents are redacted in it. A
    # private channel also gets the HTML rendering of the message.
    private_channel: bool = False

    @property
    def is_source(self) -> bool:
        return bool(self.source_label)

    @property
    def is_channel(self) -> bool:
        return self.send is not None

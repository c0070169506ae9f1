"""When to run a postmortem: required, recommended or not required, and why.

The seed ("When to Run a Postmortem") says:

Always run a postmortem for
  - P0 incidents (customer-facing outage, data loss)
  - P1 incidents with significant impact
  - near misses that could have been severe
  - repeat incidents (same failure mode as a previous incident)

Consider running a postmortem for
  - P2 incidents with interesting lessons
  - process failures (missed deadline, major miscommunication)
  - security incidents (regardless of severity)

Every rule is a setting of :class:`PolicyConfig`, so an organisation can make its own
policy stricter or looser; the defaults are the seed. Data loss is listed in the seed as a
P0 example; here it is a rule of its own (required at any severity), because losing data
is never a P3 matter.

:func:`decide` gives the strongest decision any rule gives (required > recommended >
not required) and lists every rule that applied, strongest first, as a sentence a person
can read on the incident page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any


class Decision(StrEnum):
    """What the policy says about running a postmortem."""

    REQUIRED = "required"
    RECOMMENDED = "recommended"
    NOT_REQUIRED = "not_required"

    @property
    def strength(self) -> int:
        """2 for required, 1 for recommended, 0 for not required."""
        return _STRENGTH[self]


_STRENGTH: dict[Decision, int] = {
    Decision.REQUIRED: 2,
    Decision.RECOMMENDED: 1,
    Decision.NOT_REQUIRED: 0,
}

SEVERITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3")


class PolicyConfigError(ValueError):
    """A policy setting has an unknown name or a value of the wrong kind."""


@dataclass(frozen=True)
class IncidentFacts:
    """The facts about an incident that the policy looks at."""

    severity: str  # "P0".."P3"
    customer_facing: bool = False
    data_loss: bool = False
    near_miss: bool = False  # a near miss that could have been severe
    security: bool = False
    process_failure: bool = False  # missed deadline, major miscommunication
    significant_impact: bool = False
    is_repeat: bool = False  # same failure mode as a previous incident


@dataclass(frozen=True)
class PolicyResult:
    """The decision and every reason behind it, strongest first."""

    decision: Decision
    reasons: tuple[str, ...]


_SEVERITY_SETS = (
    "required_severities",
    "required_with_significant_impact",
    "recommended_severities",
)
_FLAG_SETTINGS = (
    "near_miss",
    "repeat",
    "security",
    "process_failure",
    "data_loss",
    "customer_facing",
)


@dataclass(frozen=True)
class PolicyConfig:
    """An organisation's postmortem policy. The defaults are the seed.

    Severity settings are sets of severities (``"P0"``..``"P3"``). Flag settings say what a
    flag on the incident calls for: ``required``, ``recommended`` or ``not_required`` (the
    flag is then ignored). ``customer_facing`` is off by default: the seed names
    customer-facing outages only as an example of a P0, so the severity decides.
    """

    required_severities: frozenset[str] = frozenset({"P0"})
    required_with_significant_impact: frozenset[str] = frozenset({"P1"})
    recommended_severities: frozenset[str] = frozenset({"P2"})
    near_miss: Decision = Decision.REQUIRED
    repeat: Decision = Decision.REQUIRED
    security: Decision = Decision.RECOMMENDED
    process_failure: Decision = Decision.RECOMMENDED
    data_loss: Decision = Decision.REQUIRED
    customer_facing: Decision = Decision.NOT_REQUIRED

    def __post_init__(self) -> None:
        for name in _SEVERITY_SETS:
            value = getattr(self, name)
            if not isinstance(value, frozenset):
                raise PolicyConfigError(
                    f"Policy setting {name!r} must be a frozenset of severities; "
                    f"got {type(value).__name__}."
                )
            unknown = sorted(str(s) for s in value if s not in SEVERITIES)
            if unknown:
                raise PolicyConfigError(
                    f"Policy setting {name!r} has unknown severity {', '.join(map(repr, unknown))}; "
                    f"expected some of {', '.join(SEVERITIES)}."
                )
        for name in _FLAG_SETTINGS:
            value = getattr(self, name)
            if not isinstance(value, Decision):
                raise PolicyConfigError(
                    f"Policy setting {name!r} must be a Decision "
                    f"({', '.join(d.value for d in Decision)}); got {value!r}."
                )

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> PolicyConfig:
        """Build a policy from plain data (a parsed TOML/JSON/YAML table, a form, a DB row).

        Missing settings keep the seed's default. Severity settings take a list of
        severity names (case-insensitive); flag settings take ``"required"``,
        ``"recommended"`` or ``"not_required"`` (also spelled ``"not required"`` or
        ``"not-required"``). Anything else raises :class:`PolicyConfigError` naming the
        setting and the value.
        """
        if not isinstance(data, Mapping):
            raise PolicyConfigError(
                f"A policy must be a table of settings; got {type(data).__name__}."
            )
        known = [f.name for f in fields(cls)]
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise PolicyConfigError(
                    f"Unknown policy setting {key!r}; known settings: {', '.join(known)}."
                )
            if key in _SEVERITY_SETS:
                kwargs[key] = _parse_severities(key, value)
            else:
                kwargs[key] = _parse_decision(key, value)
        return cls(**kwargs)

    def to_mapping(self) -> dict[str, object]:
        """Plain data that :meth:`from_mapping` reads back to an equal policy."""
        out: dict[str, object] = {}
        for name in _SEVERITY_SETS:
            out[name] = [s for s in SEVERITIES if s in getattr(self, name)]
        for name in _FLAG_SETTINGS:
            out[name] = getattr(self, name).value
        return out


def _parse_severities(key: str, value: object) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise PolicyConfigError(
            f'Policy setting {key!r} must be a list of severities such as ["P0", "P1"]; '
            f"got {value!r}."
        )
    parsed: set[str] = set()
    for item in value:
        if not isinstance(item, str) or item.strip().upper() not in SEVERITIES:
            raise PolicyConfigError(
                f"Policy setting {key!r} has unknown severity {item!r}; "
                f"expected some of {', '.join(SEVERITIES)}."
            )
        parsed.add(item.strip().upper())
    return frozenset(parsed)


def _parse_decision(key: str, value: object) -> Decision:
    if isinstance(value, Decision):
        return value
    if isinstance(value, str):
        normalised = value.strip().lower().replace("-", "_").replace(" ", "_")
        for decision in Decision:
            if decision.value == normalised:
                return decision
    raise PolicyConfigError(
        f"Policy setting {key!r} must be one of {', '.join(d.value for d in Decision)}; "
        f"got {value!r}."
    )


DEFAULT_POLICY = PolicyConfig()

_VERDICT: dict[Decision, str] = {
    Decision.REQUIRED: "always run a postmortem",
    Decision.RECOMMENDED: "consider running a postmortem",
}

# Why a flag matters, in the seed's words and order; the verdict comes from the policy.
# The first table goes before the severity-recommended rule, the second after it.
_FLAG_REASONS: tuple[tuple[str, str, str], ...] = (
    # (IncidentFacts attribute, PolicyConfig attribute, what the rule is about)
    ("data_loss", "data_loss", "Data loss"),
    ("near_miss", "near_miss", "Near miss that could have been severe"),
    ("is_repeat", "repeat", "Repeat incident (same failure mode as a previous incident)"),
)
_LATER_FLAG_REASONS: tuple[tuple[str, str, str], ...] = (
    (
        "process_failure",
        "process_failure",
        "Process failure (missed deadline, major miscommunication)",
    ),
    ("security", "security", "Security incident (regardless of severity)"),
    ("customer_facing", "customer_facing", "Customer-facing incident"),
)


def normalise_severity(severity: str) -> str:
    """``" p1 "`` -> ``"P1"``; anything that is not P0..P3 raises ValueError."""
    if isinstance(severity, str):
        candidate = severity.strip().upper()
        if candidate in SEVERITIES:
            return candidate
    raise ValueError(f"Unknown severity {severity!r}; expected one of {', '.join(SEVERITIES)}.")


def decide(facts: IncidentFacts, config: PolicyConfig = DEFAULT_POLICY) -> PolicyResult:
    """Is a postmortem required, recommended or not required for this incident, and why?

    The decision is the strongest that any rule gives. ``reasons`` lists every rule that
    applied, strongest first (rules of equal strength keep the order of the seed). When no
    rule applies there is exactly one reason, saying why nothing called for a postmortem.
    An unknown severity raises ValueError.
    """
    severity = normalise_severity(facts.severity)
    applied: list[tuple[Decision, str]] = []

    if severity in config.required_severities:
        examples = " (customer-facing outage, data loss)" if severity == "P0" else ""
        applied.append(
            (Decision.REQUIRED, f"{severity} incident: always run a postmortem{examples}.")
        )
    if severity in config.required_with_significant_impact and facts.significant_impact:
        applied.append(
            (
                Decision.REQUIRED,
                f"{severity} incident with significant impact: always run a postmortem.",
            )
        )
    applied.extend(_flag_rules(facts, config, _FLAG_REASONS))
    if severity in config.recommended_severities:
        applied.append(
            (
                Decision.RECOMMENDED,
                f"{severity} incident: consider running a postmortem, "
                "especially if it holds interesting lessons.",
            )
        )
    applied.extend(_flag_rules(facts, config, _LATER_FLAG_REASONS))

    if not applied:
        return PolicyResult(Decision.NOT_REQUIRED, (_not_required_reason(severity, facts, config),))
    # list.sort is stable: rules of equal strength keep the seed's order.
    applied.sort(key=lambda item: -item[0].strength)
    return PolicyResult(applied[0][0], tuple(reason for _, reason in applied))


def _flag_rules(
    facts: IncidentFacts, config: PolicyConfig, table: tuple[tuple[str, str, str], ...]
) -> list[tuple[Decision, str]]:
    out: list[tuple[Decision, str]] = []
    for fact_name, setting, about in table:
        decision: Decision = getattr(config, setting)
        if getattr(facts, fact_name) and decision is not Decision.NOT_REQUIRED:
            out.append((decision, f"{about}: {_VERDICT[decision]}."))
    return out


def _not_required_reason(severity: str, facts: IncidentFacts, config: PolicyConfig) -> str:
    if severity in config.required_with_significant_impact and not facts.significant_impact:
        return (
            f"{severity} incident without significant impact: a postmortem is not required; "
            "mark significant impact if it had one."
        )
    return f"{severity} incident with no flag that calls for a postmortem."

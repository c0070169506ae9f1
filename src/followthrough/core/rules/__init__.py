"""The lint rules: one class per rule, one module per family, one registry.

Codes: PM1xx blame, PM2xx action items, PM3xx root cause, PM4xx impact and timeline,
PM5xx structure, PM6xx corpus (folder-level), PM7xx process. Adding a rule: write the
class with its four-part docstring in its family's module, add it to ``REGISTRY``, add
passing and failing cases to ``tests/core/rules/cases.py`` and regenerate docs/rules.md
(``followthrough rules --format markdown > docs/rules.md``).
"""

from __future__ import annotations

from followthrough.core.rules.actions import (
    UndatedAction,
    UnownedAction,
    UnverifiableAction,
    VagueAction,
)
from followthrough.core.rules.analysis import (
    EmptyRootCause,
    ProximateRootCause,
    TooFewWhys,
    UncategorisedRootCause,
)
from followthrough.core.rules.base import (
    CATEGORIES,
    CorpusRule,
    Finding,
    Related,
    Rule,
    Severity,
)
from followthrough.core.rules.blame import HindsightLanguage, PersonAsAgent
from followthrough.core.rules.corpus import CopyPaste, RepeatIncident
from followthrough.core.rules.impact import UnquantifiedImpact, VagueQuantifier
from followthrough.core.rules.process import NoDoneCondition, UnaddressedCause, UnusedSuppression
from followthrough.core.rules.structure import EmptySection, MissingSection, TemplateLeftover
from followthrough.core.rules.timeline import TimelineAnalysis, TimelineOutOfOrder

REGISTRY: tuple[Rule | CorpusRule, ...] = (
    PersonAsAgent(),
    HindsightLanguage(),
    UnownedAction(),
    UndatedAction(),
    VagueAction(),
    UnverifiableAction(),
    TooFewWhys(),
    ProximateRootCause(),
    UncategorisedRootCause(),
    EmptyRootCause(),
    UnquantifiedImpact(),
    VagueQuantifier(),
    TimelineAnalysis(),
    TimelineOutOfOrder(),
    MissingSection(),
    TemplateLeftover(),
    EmptySection(),
    CopyPaste(),
    RepeatIncident(),
    UnaddressedCause(),
    NoDoneCondition(),
    UnusedSuppression(),
)

BY_CODE: dict[str, Rule | CorpusRule] = {rule.code: rule for rule in REGISTRY}

__all__ = [
    "BY_CODE",
    "CATEGORIES",
    "REGISTRY",
    "CorpusRule",
    "Finding",
    "Related",
    "Rule",
    "Severity",
]

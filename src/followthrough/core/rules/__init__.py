"""The lint rules: one class per rule, one module per family, one registry.

Codes: PM1xx blame, PM2xx action items, PM3xx root cause, PM4xx impact and timeline,
PM5xx structure, PM6xx corpus (folder-level), PM7xx process. Adding a rule: write the
class with its four-part docstring in its family's module, add it to ``REGISTRY``, add
passing and failing cases to ``tests/core/rules/cases.py`` and regenerate docs/rules.md
(``followthrough rules --format markdown > docs/rules.md``).

The folder-level rules (PM6xx, :mod:`followthrough.core.rules.corpus`) stand in the registry
as :class:`FolderRule`: their module and the word normalisation it needs are a tenth of what
``followthrough lint FILE`` imports, and one file compares with nothing. A new folder rule
gets a line there, its code, name and category written beside its class's name (a test
checks them against the class).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cached_property
from typing import Any

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
from followthrough.core.rules.impact import UnquantifiedImpact, VagueQuantifier
from followthrough.core.rules.process import NoDoneCondition, UnaddressedCause, UnusedSuppression
from followthrough.core.rules.structure import EmptySection, MissingSection, TemplateLeftover
from followthrough.core.rules.timeline import TimelineAnalysis, TimelineOutOfOrder


class FolderRule(CorpusRule):
    """A folder rule as the registry holds it: what choosing rules and suppressions reads
    (code, name, category) without importing its module; the rest (severity, summary,
    docstring, and the rule's own ``signature`` and ``compare``) comes from the rule
    itself, ``rule_class`` of :mod:`followthrough.core.rules.corpus`, imported at its first
    use."""

    def __init__(self, rule_class: str, code: str, name: str, category: str) -> None:
        self.rule_class = rule_class
        self.code = code  # type: ignore[misc]
        self.name = name  # type: ignore[misc]
        self.category = category  # type: ignore[misc]

    @cached_property
    def rule(self) -> CorpusRule:
        module = importlib.import_module("followthrough.core.rules.corpus")
        rule: CorpusRule = getattr(module, self.rule_class)()
        return rule

    # the rule's own bound methods, not wrappers: their annotations are what the kept
    # results' codec reads (kept_results._record_codec)
    @property  # type: ignore[override]
    def signature(self) -> Callable[..., Any]:
        return self.rule.signature

    @property  # type: ignore[override]
    def compare(self) -> Callable[..., Any]:
        return self.rule.compare

    @property  # type: ignore[override]
    def check_corpus(self) -> Callable[..., Any]:
        return self.rule.check_corpus

    @property
    def severity(self) -> Severity:  # type: ignore[override]
        return self.rule.severity

    @property
    def summary(self) -> str:  # type: ignore[override]
        return self.rule.summary

    @property
    def merges(self) -> bool:  # type: ignore[override]
        return self.rule.merges

    # the rule's documentation (docs/rules.md is made from it); this class's own docstring
    # is replaced by it, hence the comment above
    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self.rule.__doc__


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
    FolderRule("CopyPaste", "PM601", "corpus.copy-paste", "copy_paste"),
    FolderRule("RepeatIncident", "PM602", "corpus.repeat-incident", "repeat_incident"),
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
    "FolderRule",
    "Related",
    "Rule",
    "Severity",
]

"""The real postmortems beside the project (``../shared/corpus/real``) and their labels
(``tests/corpus_real/labels.toml``), for the quality tests.

The documents are other teams' words and are never copied into the project: a test reads
them where they are. A clone without that folder skips those tests with a reason; CI sets
``FOLLOWTHROUGH_REQUIRE_REAL_CORPUS=1`` and then their absence is a failure.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "tests" / "corpus_real" / "labels.toml"
DOCS = ROOT.parent / "shared" / "corpus" / "real" / "docs"
REQUIRE = "FOLLOWTHROUGH_REQUIRE_REAL_CORPUS"


def available() -> bool:
    return DOCS.is_dir() and LABELS.is_file()


def require() -> None:
    """Skip the calling test when the real corpus is absent, or fail when CI requires it."""
    if available():
        return
    reason = f"the real corpus is not at {DOCS} (see tests/corpus_real/README.md)"
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1 but {reason}")
    pytest.skip(reason)


@cache
def labels() -> dict[str, dict[str, Any]]:
    """Document path (relative to DOCS) -> its labels."""
    files: dict[str, dict[str, Any]] = tomllib.loads(LABELS.read_text(encoding="utf-8"))["files"]
    return files


def text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


@dataclass
class Reading:
    """How one document was read against its labels."""

    name: str
    missing_sections: list[str] = field(default_factory=list)  # labelled, not found as labelled
    missing_actions: list[str] = field(default_factory=list)  # labelled, not found
    wrong_state: list[str] = field(default_factory=list)  # found, state differs
    extra_actions: list[str] = field(default_factory=list)  # found, not labelled
    timeline: str = ""  # "" when the entries agree with the labels

    @property
    def as_a_person_reads_it(self) -> bool:
        return not (
            self.missing_sections or self.missing_actions or self.wrong_state or self.extra_actions
        )

    def problems(self) -> list[str]:
        out = [f"section {s}" for s in self.missing_sections]
        out += [f"action not found {a}" for a in self.missing_actions]
        out += [f"action state {a}" for a in self.wrong_state]
        out += [f"action not labelled {a}" for a in self.extra_actions]
        return out


def compare(name: str, doc: Any, table: dict[str, Any]) -> Reading:
    """``doc`` (a parsed Document) against the labels of ``name``."""
    result = Reading(name)
    found = {(s.line, s.kind.value) for s in doc.sections}
    lines = {s.line: s.kind.value for s in doc.sections}
    for section in table.get("sections", []):
        if (section["line"], section["kind"]) not in found:
            got = lines.get(section["line"], "nothing")
            result.missing_sections.append(
                f"{section['line']} {section['kind']} (read as {got}): {section['text']!r}"
            )
    items = {item.line: item for item in doc.action_items}
    labelled = {action["line"]: action for action in table.get("actions", [])}
    for line, action in labelled.items():
        item = items.get(line)
        if item is None:
            result.missing_actions.append(f"{line} {action['state']}: {action['text']!r}")
        elif item.state != action["state"]:
            why = item.done_reason or "nothing marks it done"
            result.wrong_state.append(
                f"{line} labelled {action['state']}, read {item.state} ({why}): {action['text']!r}"
            )
    for line, item in items.items():
        if line not in labelled:
            result.extra_actions.append(f"{line}: {item.text[:70]!r}")
    expected = table.get("timeline")
    entries = [e for e in doc.timeline if e.time_text]
    if expected is None:
        if entries:
            result.timeline = f"{len(entries)} entries read, none labelled"
    else:
        got = (len(entries), entries[0].line if entries else 0, entries[-1].line if entries else 0)
        want = (expected["entries"], expected["first_line"], expected["last_line"])
        if got != want:
            result.timeline = f"read {got}, labelled {want} (entries, first, last)"
    return result

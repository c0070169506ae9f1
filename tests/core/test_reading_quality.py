"""Are real postmortems read as a person reads them? The parser against the facilitator's
labels of ``../shared/corpus/real`` (``tests/corpus_real/labels.toml``).

A document is read as a person reads it when every labelled section is found with its kind
at its line, every labelled action item is found at its line in its state (done or open),
and no action item is read where the labels have none. The timeline is compared too
(entries, first and last line). ``.venv/bin/pytest tests/core/test_reading_quality.py -s``
prints the figures per folder and every misreading.

The tests skip with a reason when the real corpus is absent, and fail instead when
``FOLLOWTHROUGH_REQUIRE_REAL_CORPUS=1`` (CI).
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from types import ModuleType

import pytest

from followthrough.core.markdown import parse

from . import real_corpus
from .real_corpus import Reading

#: issue 11's target: 95% of documents read as a person reads them
TARGET = 0.95
#: the floor kept today: the target, met with 65 of 67 (0.97)
FLOOR = 0.95
#: timelines read with the labelled entries, first and last line (measured 66 of 67)
TIMELINE_FLOOR = 0.95
#: labelled action items found at their line, in their state (measured 174 of 177)
ACTION_FLOOR = 0.97


def _check_labels() -> ModuleType:
    path = real_corpus.ROOT / "tests" / "corpus_real" / "check_labels.py"
    spec = importlib.util.spec_from_file_location("check_labels", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def readings() -> list[Reading]:
    real_corpus.require()
    out = []
    for name, table in sorted(real_corpus.labels().items()):
        doc = parse(real_corpus.text(name), name)
        out.append(real_corpus.compare(name, doc, table))
    return out


def test_every_label_points_at_its_line_and_the_labels_agree_with_each_other() -> None:
    real_corpus.require()
    problems = _check_labels().check(real_corpus.DOCS, real_corpus.LABELS)
    assert problems == [], "\n".join(problems)


def test_real_postmortems_are_read_as_a_person_reads_them(readings: list[Reading]) -> None:
    per_folder: dict[str, Counter[str]] = {}
    for r in readings:
        counts = per_folder.setdefault(r.name.split("/", 1)[0], Counter())
        counts["documents"] += 1
        counts["read"] += r.as_a_person_reads_it
    read = sum(r.as_a_person_reads_it for r in readings)
    share = read / len(readings)
    lines = [f"{'folder':10} {'read':>5} / documents"]
    lines += [f"{f:10} {c['read']:>5} / {c['documents']}" for f, c in sorted(per_folder.items())]
    lines.append(f"{'all':10} {read:>5} / {len(readings)} = {share:.2f} (target {TARGET:.2f})")
    for r in readings:
        if not r.as_a_person_reads_it:
            lines.append(f"-- {r.name}")
            lines += [f"   {p}" for p in r.problems()]
    print("\n" + "\n".join(lines))
    assert share >= FLOOR, "\n".join(lines)


def test_action_items_are_found_at_their_line_in_their_state() -> None:
    real_corpus.require()
    found = labelled = 0
    wrong: list[str] = []
    for name, table in sorted(real_corpus.labels().items()):
        doc = parse(real_corpus.text(name), name)
        items = {item.line: item for item in doc.action_items}
        for action in table.get("actions", []):
            labelled += 1
            item = items.get(action["line"])
            if item is not None and item.state == action["state"]:
                found += 1
            else:
                wrong.append(f"{name}:{action['line']} {action['state']} {action['text']!r}")
    assert found / labelled >= ACTION_FLOOR, "\n".join(wrong)


def test_timelines_are_read_with_their_entries(readings: list[Reading]) -> None:
    agree = sum(not r.timeline for r in readings)
    wrong = [f"{r.name}: {r.timeline}" for r in readings if r.timeline]
    assert agree / len(readings) >= TIMELINE_FLOOR, "\n".join(wrong)


def test_the_floor_never_drops_below_what_was_reached() -> None:
    assert FLOOR <= TARGET
    assert FLOOR >= 0.95  # raise it as the reader improves; lowering it needs a reason

"""The folder-level rules on real postmortems: copy-paste (PM601) and repeat incidents (PM602)
read across ``../shared/corpus/real`` (59 postmortems of four teams and eight templates, in
their authors' words) and scored against a facilitator's labels, ``tests/corpus_real``.

The documents are other people's words: they are read where they are, never copied here
(``../shared/corpus/real/README.md``). A clone without that folder skips these tests with a
reason; CI, which has it, sets ``FOLLOWTHROUGH_REQUIRE_REAL_CORPUS=1`` and fails instead.

``.venv/bin/pytest tests/core/test_folder_quality.py -s`` prints the table and every false
positive and false negative.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from followthrough.core.config import LintConfig
from followthrough.core.document import Document
from followthrough.core.lint import lint_corpus
from followthrough.core.markdown import parse
from followthrough.core.rules.base import Finding

from .test_linter_quality import Claim, Label, Score, details, score

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "corpus" / "real" / "docs"
LABELS = ROOT / "tests" / "corpus_real" / "labels.toml"
FOLDER = ("copy_paste", "repeat_incident")
#: a category is scored once it has this many labels
ENOUGH_LABELS = 5
#: (precision, recall) per category; a category's recall floor below 0.85 says why
FLOORS = {
    "copy_paste": (0.90, 0.85),
    # measured 1.00 / 0.67: the five pairs of the corpus README and PM2021-005 <- PM2020-005
    # (a load balancer that lost its targets) are found; the three node series the labels
    # add (PM2022-001 <- PM2020-007, PM2022-003 <- PM2022-001, PM2024-001 <- PM2022-003: a
    # monitoring workload's memory takes a node down, read from resource limits and "node
    # instability in the future too") are not, and no word list that only knows dfds'
    # phrasing will find them (see test_repeat_recall_reaches_the_target below)
    "repeat_incident": (0.90, 0.65),
}
TARGET_RECALL = 0.85

#: (later, earlier) of the dfds repeat pairs in ../shared/corpus/real/README.md
DFDS_PAIRS = (
    ("PM2021-003", "PM2021-002"),
    ("PM2021-006", "PM2021-005"),
    ("PM2021-007", "PM2021-006"),
    ("PM2022-002", "PM2021-001"),
    ("PM2023-002", "PM2022-002"),  # the partial one: same symptom, new trigger
)
#: the same symptom, another mechanism: not a repeat
DFDS_NOT_A_REPEAT = ("PM2022-007", "PM2022-004")


def _required() -> bool:
    return os.environ.get("FOLLOWTHROUGH_REQUIRE_REAL_CORPUS") == "1"


@pytest.fixture(scope="module")
def labels() -> dict[str, dict[str, object]]:
    if not REAL.is_dir() or not LABELS.is_file():
        missing = REAL if not REAL.is_dir() else LABELS
        if _required():
            pytest.fail(f"FOLLOWTHROUGH_REQUIRE_REAL_CORPUS=1 but {missing} is missing")
        pytest.skip(f"the real corpus is not beside this clone ({missing} is missing)")
    files: dict[str, dict[str, object]] = tomllib.loads(LABELS.read_text(encoding="utf-8"))["files"]
    return files


@pytest.fixture(scope="module")
def docs(labels: dict[str, dict[str, object]]) -> list[Document]:
    return [parse((REAL / path).read_text(encoding="utf-8"), path) for path in sorted(labels)]


@pytest.fixture(scope="module")
def found(docs: list[Document]) -> dict[str, list[Finding]]:
    return lint_corpus(docs, LintConfig(select=FOLDER))


def _path(docs: list[Document], name: str) -> str:
    (path,) = [d.path for d in docs if d.path.startswith(f"dfds/{name} ")]
    return path


def _repeat_of(found: dict[str, list[Finding]], path: str) -> list[tuple[str, str]]:
    return [
        (r.path, r.reason)
        for f in found[path]
        if f.category == "repeat_incident"
        for r in f.related
    ]


@pytest.mark.parametrize(("later", "earlier"), DFDS_PAIRS)
def test_each_dfds_repeat_is_linked_to_the_earlier_postmortem_with_its_reason(
    docs: list[Document], found: dict[str, list[Finding]], later: str, earlier: str
) -> None:
    linked = dict(_repeat_of(found, _path(docs, later)))
    assert _path(docs, earlier) in linked, f"{later} is not linked to {earlier}: {linked}"
    assert linked[_path(docs, earlier)], "a repeat says which evidence matched"


def test_the_same_symptom_from_another_mechanism_is_not_a_repeat(
    docs: list[Document], found: dict[str, list[Finding]]
) -> None:
    later, earlier = (_path(docs, name) for name in DFDS_NOT_A_REPEAT)
    assert earlier not in dict(_repeat_of(found, later))


def test_copy_paste_is_reported_on_the_later_document_only(
    docs: list[Document], found: dict[str, list[Finding]]
) -> None:
    order = {d.path: n for n, d in enumerate(docs)}  # dfds names sort in incident order
    for path, findings in found.items():
        for f in findings:
            if f.category == "copy_paste" and path.startswith("dfds/"):
                assert all(order[r.path] < order[path] for r in f.related), (path, f.related)


def _measured(
    labels: dict[str, dict[str, object]], found: dict[str, list[Finding]]
) -> dict[str, Score]:
    wanted = [
        Label(
            path, str(item["category"]), int(item["line"]), int(item.get("end_line", item["line"]))
        )
        for path, table in labels.items()
        for item in table.get("findings", [])  # type: ignore[attr-defined]
        if item["category"] in FOLDER
    ]
    claims = [
        Claim(path, f.category, f.line, f.end_line, f.rule, f.message)
        for path, findings in found.items()
        for f in findings
        if f.category in FOLDER and f.severity.value in ("warning", "error")
    ]
    return score(wanted, claims)


def test_folder_findings_meet_their_precision_and_recall_floors(
    labels: dict[str, dict[str, object]], found: dict[str, list[Finding]]
) -> None:
    scores = _measured(labels, found)
    rows = [f"{'category':<16} labels  TP  FP  FN  precision recall  floor P/R"]
    below = []
    for category in FOLDER:
        s = scores[category]
        floor_p, floor_r = FLOORS[category]
        rows.append(
            f"{category:<16} {s.labels:>6} {s.tp:>3} {s.fp:>3} {s.fn:>3} {s.precision:>10.2f}"
            f" {s.recall:>6.2f}  {floor_p:.2f}/{floor_r:.2f}"
        )
        if s.labels >= ENOUGH_LABELS and (s.precision < floor_p or s.recall < floor_r):
            below.append(category)
    print("\n" + "\n".join(rows) + "\n" + details(scores))
    assert not below, f"below floor: {below}\n" + "\n".join(rows)


@pytest.mark.xfail(
    strict=True,
    reason="three node-instability repeats of the labels are out of reach (see FLOORS)",
)
def test_repeat_recall_reaches_the_target(
    labels: dict[str, dict[str, object]], found: dict[str, list[Finding]]
) -> None:
    assert _measured(labels, found)["repeat_incident"].recall >= TARGET_RECALL

"""How demanding and how right is the linter? Precision and recall per category, on two
corpora, each with its own floors:

- ``tests/corpus``: postmortems we wrote in many real-world styles, labelled with what a
  demanding facilitator would flag (conventions in ``tests/corpus/README.md``);
- the real corpus: 59 public postmortems of four teams and eight public templates in
  ``../shared/corpus/real/docs`` (never copied into the project), labelled in
  ``tests/corpus_real/labels.toml`` (conventions in ``tests/corpus_real/README.md``). Its test
  skips with a reason when the folder is absent, and fails instead when
  ``FOLLOWTHROUGH_REQUIRE_REAL_CORPUS=1`` (CI).

Every file is linted with ``lint_document`` for the single-file categories and each whole
folder with ``lint_corpus`` for the folder-level ones (copy_paste, repeat_incident). Only
warning and error findings count; info findings are advice, not claims.

A finding matches a label when the categories are equal and the finding's range
``[line - 1, end_line + 1]`` covers the label's line (or meets a ranged label's lines), or the
label's line is 0 ("anywhere in the file"). Each label is matched by at most one finding and
each finding matches at most one label (a maximum matching). A finding left over that still
covers a label of its category is a *duplicate* (a second complaint about flagged text) and
counts neither way; any other left-over finding is a false positive.

``.venv/bin/pytest tests/core/test_linter_quality.py -s`` prints each corpus's table,
followed by every false positive and false negative, so rule authors can see what to fix.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest

from . import real_corpus

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
LABELS = CORPUS / "labels.toml"

SINGLE_FILE_CATEGORIES: tuple[str, ...] = (
    "blame",
    "shallow_root_cause",
    "vague_action",
    "unowned_action",
    "undated_action",
    "unverifiable_action",
    "unquantified_impact",
    "timeline_analysis",
    "missing_section",
    "template_leftover",
)
FOLDER_CATEGORIES: tuple[str, ...] = ("copy_paste", "repeat_incident")
CATEGORIES: tuple[str, ...] = SINGLE_FILE_CATEGORIES + FOLDER_CATEGORIES
COUNTED_SEVERITIES = frozenset({"warning", "error"})

# Floors per category: (precision, recall), per corpus. Set from a measured run, a little below
# it, and never below 0.8 precision for blame: a linter that cries "blame" wrongly teaches
# people to ignore it. Raise them as the rules improve; lowering one needs a reason.
FLOORS: dict[str, tuple[float, float]] = {
    # measured on the 49-file corpus, rules of the lint-speed/recall commits:  precision  recall
    "blame": (0.95, 0.85),  # 1.00 0.90
    "shallow_root_cause": (0.95, 0.85),  # 1.00 0.93
    "vague_action": (0.95, 0.90),  # 1.00 0.96
    "unowned_action": (0.95, 0.95),  # 1.00 1.00
    "undated_action": (0.95, 0.95),  # 1.00 1.00
    "unverifiable_action": (0.95, 0.95),  # 1.00 1.00
    "unquantified_impact": (0.80, 0.80),  # 0.86 0.86
    "timeline_analysis": (0.95, 0.95),  # 1.00 1.00
    "missing_section": (0.65, 0.80),  # 0.71 0.83
    "template_leftover": (0.95, 0.95),  # 1.00 1.00
    "copy_paste": (0.95, 0.95),  # 1.00 1.00
    "repeat_incident": (0.95, 0.95),  # 1.00 1.00 (failure kinds + components)
}
# The real corpus: issue 11 asks for 0.90 precision and 0.85 recall in every category with at
# least five labels. A category with fewer labels is shown, not floored.
REAL_FLOORS: dict[str, tuple[float, float]] = {
    "blame": (0.90, 0.85),
    "shallow_root_cause": (0.0, 0.0),  # 3 labels
    "vague_action": (0.90, 0.85),
    "unowned_action": (0.90, 0.85),
    "undated_action": (0.90, 0.85),
    "unverifiable_action": (0.90, 0.85),
    "unquantified_impact": (0.90, 0.85),
    "timeline_analysis": (0.90, 0.85),
    "missing_section": (0.90, 0.85),
    "template_leftover": (0.90, 0.85),
    # the folder rules: measured 1.00 / 1.00 each (5 and 9 labels; the repeat pairs of the
    # node series by mechanism, core/rules/mechanism.py)
    "copy_paste": (0.90, 0.85),
    "repeat_incident": (0.90, 0.85),
}

MIN_LABELS = {cat: (3 if cat in FOLDER_CATEGORIES else 5) for cat in CATEGORIES}


class FindingLike(Protocol):
    """What the harness reads from a finding (the lint contract, nothing more)."""

    @property
    def rule(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def end_line(self) -> int: ...
    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class Label:
    path: str
    category: str
    line: int  # 0 = anywhere in the file
    end_line: int
    text: str = ""


@dataclass(frozen=True)
class Claim:
    """A counted finding, reduced to what matching needs."""

    path: str
    category: str
    line: int
    end_line: int
    rule: str = ""
    message: str = ""

    def covers(self, label: Label) -> bool:
        if label.line == 0:
            return True
        low, high = self.line - 1, max(self.end_line, self.line) + 1
        return low <= label.end_line and label.line <= high


@dataclass
class Score:
    labels: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    duplicates: int = 0
    false_positives: list[Claim] = field(default_factory=list)
    false_negatives: list[Label] = field(default_factory=list)

    @property
    def precision(self) -> float:
        claimed = self.tp + self.fp
        return self.tp / claimed if claimed else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.labels if self.labels else 1.0


@dataclass
class Corpus:
    files: list[str]
    clean: set[str]
    labels: list[Label]
    root: Path = CORPUS  # where the labelled files are


# --- labels ---------------------------------------------------------------------------------


def load_corpus(path: Path = LABELS, root: Path = CORPUS) -> Corpus:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    files = sorted(data.get("files", {}))
    clean: set[str] = set()
    labels: list[Label] = []
    for name, table in data.get("files", {}).items():
        if table.get("clean", False):
            clean.add(name)
        for item in table.get("findings", []):
            line = int(item["line"])
            labels.append(
                Label(
                    path=name,
                    category=str(item["category"]),
                    line=line,
                    end_line=int(item.get("end_line", line)),
                    text=str(item.get("text", "")),
                )
            )
    return Corpus(files=files, clean=clean, labels=labels, root=root)


# --- matching -------------------------------------------------------------------------------


def _maximum_matching(labels: Sequence[Label], claims: Sequence[Claim]) -> dict[int, int]:
    """label index -> claim index, as many pairs as possible (Kuhn's augmenting paths)."""
    # Specific labels first so that a line-0 label cannot take the only finding that
    # covers a specific line when another finding would have served the line-0 label.
    order = sorted(range(len(labels)), key=lambda i: labels[i].line == 0)
    owner_of_claim: dict[int, int] = {}

    def augment(li: int, seen: set[int]) -> bool:
        for ci, claim in enumerate(claims):
            if ci in seen or not claim.covers(labels[li]):
                continue
            seen.add(ci)
            if ci not in owner_of_claim or augment(owner_of_claim[ci], seen):
                owner_of_claim[ci] = li
                return True
        return False

    for li in order:
        augment(li, set())
    return {li: ci for ci, li in owner_of_claim.items()}


def score(labels: Iterable[Label], claims: Iterable[Claim]) -> dict[str, Score]:
    """Per category: labels, true and false positives, false negatives, duplicates."""
    by_key_labels: dict[tuple[str, str], list[Label]] = defaultdict(list)
    by_key_claims: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    for label in labels:
        by_key_labels[(label.path, label.category)].append(label)
    for claim in claims:
        by_key_claims[(claim.path, claim.category)].append(claim)
    scores = {cat: Score() for cat in CATEGORIES}
    for key in set(by_key_labels) | set(by_key_claims):
        category = key[1]
        if category not in scores:
            continue
        file_labels = sorted(by_key_labels.get(key, []), key=lambda lb: (lb.line, lb.end_line))
        file_claims = sorted(by_key_claims.get(key, []), key=lambda c: (c.line, c.end_line))
        matched = _maximum_matching(file_labels, file_claims)
        s = scores[category]
        s.labels += len(file_labels)
        s.tp += len(matched)
        s.false_negatives.extend(lb for i, lb in enumerate(file_labels) if i not in matched)
        used = set(matched.values())
        for ci, claim in enumerate(file_claims):
            if ci in used:
                continue
            if any(claim.covers(lb) for lb in file_labels):
                s.duplicates += 1
            else:
                s.false_positives.append(claim)
    for s in scores.values():
        s.fn = len(s.false_negatives)
        s.fp = len(s.false_positives)
    return scores


# --- running the linter ---------------------------------------------------------------------


def _claims(path: str, findings: Iterable[FindingLike], categories: Iterable[str]) -> list[Claim]:
    wanted = set(categories)
    out = []
    for f in findings:
        severity = str(getattr(f, "severity", "warning"))
        if f.category not in wanted or severity not in COUNTED_SEVERITIES:
            continue
        out.append(Claim(path, f.category, f.line, f.end_line, f.rule, f.message))
    return out


def lint_the_corpus(corpus: Corpus) -> list[Claim]:
    from followthrough.core.lint import lint_corpus, lint_document
    from followthrough.core.markdown import parse

    docs = [parse((corpus.root / name).read_text(encoding="utf-8"), name) for name in corpus.files]
    claims: list[Claim] = []
    for doc in docs:
        claims += _claims(doc.path, lint_document(doc), SINGLE_FILE_CATEGORIES)
    for name, findings in lint_corpus(docs).items():
        claims += _claims(name, findings, FOLDER_CATEGORIES)
    return claims


def table(scores: Mapping[str, Score], floors: Mapping[str, tuple[float, float]] = FLOORS) -> str:
    head = (
        f"{'category':<20} {'labels':>6} {'TP':>4} {'FP':>4} {'FN':>4} {'dup':>4} "
        f"{'precision':>9} {'recall':>6}   floor P/R"
    )
    rows = [head, "-" * len(head)]
    total = Score()
    for cat in CATEGORIES:
        s = scores[cat]
        fp, fr = floors[cat]
        mark = "" if s.precision >= fp and s.recall >= fr else "  <-- below floor"
        rows.append(
            f"{cat:<20} {s.labels:>6} {s.tp:>4} {s.fp:>4} {s.fn:>4} {s.duplicates:>4} "
            f"{s.precision:>9.2f} {s.recall:>6.2f}   {fp:.2f}/{fr:.2f}{mark}"
        )
        total.labels += s.labels
        total.tp += s.tp
        total.fp += s.fp
        total.fn += s.fn
        total.duplicates += s.duplicates
    rows.append("-" * len(head))
    rows.append(
        f"{'all (micro)':<20} {total.labels:>6} {total.tp:>4} {total.fp:>4} {total.fn:>4} "
        f"{total.duplicates:>4} {total.precision:>9.2f} {total.recall:>6.2f}"
    )
    return "\n".join(rows)


def details(scores: Mapping[str, Score]) -> str:
    out: list[str] = []
    for cat in CATEGORIES:
        s = scores[cat]
        for c in s.false_positives:
            out.append(f"FP {cat:<20} {c.path}:{c.line}-{c.end_line} {c.rule} {c.message}")
        for lb in s.false_negatives:
            where = f"{lb.line}" if lb.line else "0 (anywhere)"
            out.append(f"FN {cat:<20} {lb.path}:{where} {lb.text}")
    return "\n".join(out)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus()


@pytest.fixture(scope="module")
def measured(corpus: Corpus) -> dict[str, Score]:
    return score(corpus.labels, lint_the_corpus(corpus))


@pytest.fixture(scope="module")
def real() -> Corpus:
    real_corpus.require()
    return load_corpus(real_corpus.LABELS, real_corpus.DOCS)


@pytest.fixture(scope="module")
def real_measured(real: Corpus) -> dict[str, Score]:
    return score(real.labels, lint_the_corpus(real))


# --- the corpus itself ----------------------------------------------------------------------


def test_the_corpus_is_big_and_varied_enough_to_judge_a_linter(corpus: Corpus) -> None:
    on_disk = sorted(p.name for p in CORPUS.glob("*.md") if p.name != "README.md")
    assert on_disk == corpus.files, "every postmortem in tests/corpus needs a labels.toml entry"
    assert len(corpus.files) >= 45
    assert len(corpus.clean) >= 12
    counts = {cat: sum(1 for lb in corpus.labels if lb.category == cat) for cat in CATEGORIES}
    short = {cat: n for cat, n in counts.items() if n < MIN_LABELS[cat]}
    assert not short, f"categories with too few labelled instances: {short}"
    unknown = {lb.category for lb in corpus.labels} - set(CATEGORIES)
    assert not unknown, f"labels with unknown categories: {unknown}"


def test_every_label_points_at_the_text_it_names(corpus: Corpus) -> None:
    wrong = []
    for name in corpus.files:
        lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
        for lb in (lb for lb in corpus.labels if lb.path == name):
            if lb.line == 0:
                continue
            if not 1 <= lb.line <= lb.end_line <= len(lines) or lb.text not in lines[lb.line - 1]:
                wrong.append(f"{name}:{lb.line} {lb.category} {lb.text!r}")
    assert not wrong, "labels that no longer point at their text:\n" + "\n".join(wrong)


def test_a_file_is_either_clean_or_has_labels(corpus: Corpus) -> None:
    labelled = {lb.path for lb in corpus.labels}
    assert not corpus.clean & labelled
    assert set(corpus.files) == corpus.clean | labelled


# --- the matcher ----------------------------------------------------------------------------


def test_a_finding_matches_a_label_within_one_line_of_its_range() -> None:
    labels = [Label("a.md", "blame", 10, 10)]
    near = score(labels, [Claim("a.md", "blame", 11, 11)])["blame"]
    far = score(labels, [Claim("a.md", "blame", 12, 14)])["blame"]
    assert (near.tp, near.fp, near.fn) == (1, 0, 0)
    assert (far.tp, far.fp, far.fn) == (0, 1, 1)


def test_a_line_zero_label_is_matched_anywhere_but_only_once() -> None:
    labels = [Label("a.md", "missing_section", 0, 0), Label("a.md", "missing_section", 0, 0)]
    one = score(labels, [Claim("a.md", "missing_section", 3, 3)])["missing_section"]
    assert (one.tp, one.fn, one.fp) == (1, 1, 0)


def test_a_second_finding_on_flagged_text_is_a_duplicate_not_a_false_positive() -> None:
    labels = [Label("a.md", "vague_action", 7, 7)]
    s = score(labels, [Claim("a.md", "vague_action", 7, 7), Claim("a.md", "vague_action", 7, 8)])
    assert (s["vague_action"].tp, s["vague_action"].fp, s["vague_action"].duplicates) == (1, 0, 1)


def test_matching_finds_the_assignment_that_matches_the_most_labels() -> None:
    # The wide finding could take label 10, starving label 12; the matching must not.
    labels = [Label("a.md", "blame", 10, 10), Label("a.md", "blame", 12, 12)]
    claims = [Claim("a.md", "blame", 10, 12), Claim("a.md", "blame", 10, 10)]
    assert score(labels, claims)["blame"].tp == 2


def test_a_finding_in_another_category_or_file_does_not_count() -> None:
    labels = [Label("a.md", "blame", 5, 5)]
    s = score(labels, [Claim("a.md", "vague_action", 5, 5), Claim("b.md", "blame", 5, 5)])
    assert (s["blame"].tp, s["blame"].fn, s["blame"].fp, s["vague_action"].fp) == (0, 1, 1, 1)


# --- the linter -----------------------------------------------------------------------------


def test_every_category_meets_its_precision_and_recall_floor(measured: dict[str, Score]) -> None:
    report = table(measured)
    print("\n" + report + "\n\n" + details(measured))
    below = [
        cat
        for cat in CATEGORIES
        if measured[cat].precision < FLOORS[cat][0] or measured[cat].recall < FLOORS[cat][1]
    ]
    assert not below, f"below floor: {below}\n{report}"


def test_blame_precision_is_never_allowed_below_eighty_percent() -> None:
    assert FLOORS["blame"][0] >= 0.8
    assert REAL_FLOORS["blame"][0] >= 0.8


def test_on_real_postmortems_every_category_meets_its_floor(
    real: Corpus, real_measured: dict[str, Score]
) -> None:
    report = table(real_measured, REAL_FLOORS)
    print("\nreal corpus (../shared/corpus/real)\n" + report + "\n\n" + details(real_measured))
    below = [
        cat
        for cat in CATEGORIES
        if real_measured[cat].precision < REAL_FLOORS[cat][0]
        or real_measured[cat].recall < REAL_FLOORS[cat][1]
    ]
    assert not below, f"below floor: {below}\n{report}"


def test_on_real_postmortems_the_floors_are_the_issue_targets_where_labels_allow() -> None:
    # issue 11: at least 0.90 precision and 0.85 recall per category with five labels or more
    labels = (
        load_corpus(real_corpus.LABELS, real_corpus.DOCS).labels if real_corpus.available() else []
    )
    for cat in CATEGORIES:
        if sum(1 for lb in labels if lb.category == cat) >= 5:
            assert REAL_FLOORS[cat] >= (0.90, 0.85), cat


def test_templates_get_only_template_findings(real: Corpus) -> None:
    from followthrough.core.lint import lint_document
    from followthrough.core.markdown import parse

    wrong = []
    for name in real.files:
        if not name.startswith("templates/"):
            continue
        doc = parse((real.root / name).read_text(encoding="utf-8"), name)
        for f in lint_document(doc):
            if f.severity.value != "info" and f.rule not in TEMPLATE_RULES:
                wrong.append(f"{name}:{f.line} {f.rule} {f.message}")
    assert not wrong, (
        "findings on an empty template that are not about the template:\n" + "\n".join(wrong)
    )


# an empty template's findings: what is left to fill in (empty sections, placeholders)
TEMPLATE_RULES = frozenset({"PM502", "PM503"})

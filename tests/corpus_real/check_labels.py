"""Check tests/corpus_real/labels.toml against the documents it labels.

The labels describe real postmortems that live outside the project, in
``../shared/corpus/real/docs`` (see README.md next to this file). This script checks that
the labels still point at what they claim: every labelled line exists, every ``text`` is a
fragment of its line (whitespace-normalised, case-sensitive), kinds and categories are
valid, and the labels agree with each other (a finding about an action item sits on an open
action item, a ``clean`` document has no findings, ...).

Run it as a plain script (no pytest needed)::

    python tests/corpus_real/check_labels.py [--docs DIR] [--labels FILE] [--summary] [--partial]

It prints one line per problem and exits 1 when there is any, 2 when the documents are not
there, 0 otherwise. ``--summary`` also prints the label counts per category and folder.
The lead turns ``check()`` into a test.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels.toml"
DOCS = HERE.parents[2] / "shared" / "corpus" / "real" / "docs"
if not DOCS.is_dir():  # a worktree: ../shared sits beside the worktrees
    DOCS = HERE.parents[3] / "shared" / "corpus" / "real" / "docs"

# followthrough.core.document.SectionKind values, spelled out so that the script runs
# without the package installed; test_kinds_match_the_package() style checks can import it.
SECTION_KINDS = frozenset(
    {
        "title",
        "metadata",
        "summary",
        "impact",
        "timeline",
        "root_cause",
        "trigger",
        "whys",
        "contributing_factors",
        "detection",
        "resolution",
        "action_items",
        "lessons",
        "people",
        "appendix",
        "other",
    }
)
ACTION_CATEGORIES = frozenset(
    {"vague_action", "unowned_action", "undated_action", "unverifiable_action"}
)
CATEGORIES = frozenset(
    {
        "blame",
        "shallow_root_cause",
        "unquantified_impact",
        "timeline_analysis",
        "missing_section",
        "template_leftover",
        "copy_paste",
        "repeat_incident",
    }
    | ACTION_CATEGORIES
)
# line = 0 ("the whole document") is allowed only for findings about the document as a whole
DOCUMENT_LEVEL = frozenset(
    {"missing_section", "unquantified_impact", "shallow_root_cause", "repeat_incident"}
)
RELATED_REQUIRED = frozenset({"repeat_incident", "copy_paste"})
STATES = frozenset({"open", "done"})
FILE_KEYS = frozenset({"sections", "actions", "timeline", "findings", "clean", "genre"})
GENRES = frozenset({"incident_report", "security_disclosure", "attack_analysis", "template"})


def normalise(text: str) -> str:
    return " ".join(text.split())


def heading_lines(lines: list[str]) -> list[int]:
    """Lines of ATX headings, outside front matter and fenced code (every one is a section)."""
    found: list[int] = []
    fence = ""
    start = 0
    if lines and lines[0].strip() in {"---", "+++"}:  # front matter up to its closing marker
        marker = lines[0].strip()
        start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == marker), 0)
    for number, line in enumerate(lines[start:], start + 1):
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        if len(line) - len(stripped) < 4 and re.match(r"#{1,6}(\s|$)", stripped):
            found.append(number)
    return found


class Checker:
    def __init__(self, docs: Path, files: dict[str, Any], partial: bool = False) -> None:
        self.docs = docs
        self.files = files  # document path -> its labels
        self.partial = partial  # while labelling: folders not yet started are not reported
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    # --- helpers -------------------------------------------------------------------------

    def line_text(self, where: str, lines: list[str], line: Any, text: Any) -> bool:
        """Check that ``line`` exists and ``text`` is a fragment of it; True when fine."""
        if not isinstance(line, int) or isinstance(line, bool):
            self.problem(where, f"line must be an integer, got {line!r}")
            return False
        if not 1 <= line <= len(lines):
            self.problem(where, f"line {line} does not exist (the file has {len(lines)})")
            return False
        if not isinstance(text, str) or not normalise(text):
            self.problem(where, f"text must be a non-empty fragment of line {line}")
            return False
        if normalise(text) not in normalise(lines[line - 1]):
            self.problem(where, f"text {text!r} is not on line {line}: {lines[line - 1]!r}")
            return False
        return True

    # --- one document --------------------------------------------------------------------

    def check_file(self, name: str, table: dict[str, Any]) -> None:
        path = self.docs / name
        if not path.is_file():
            self.problem(name, "no such document")
            return
        lines = path.read_text(encoding="utf-8").splitlines()
        for key in table:
            if key not in FILE_KEYS:
                self.problem(name, f"unknown key {key!r}")
        genre = table.get("genre")
        if genre not in GENRES:
            self.problem(name, f"genre must be one of {sorted(GENRES)}, got {genre!r}")
        self.check_sections(name, lines, table.get("sections", []))
        open_lines, done_lines = self.check_actions(name, lines, table.get("actions", []))
        if "timeline" in table:
            self.check_timeline(name, lines, table["timeline"])
        findings = table.get("findings", [])
        clean = table.get("clean", False)
        if clean is not True and clean is not False:
            self.problem(name, "clean must be true or false")
        if clean and findings:
            self.problem(name, "a clean document carries no findings")
        if not clean and not findings:
            self.problem(name, "no findings: say clean = true")
        self.check_findings(name, lines, findings, open_lines, done_lines)

    def check_sections(self, name: str, lines: list[str], sections: Any) -> None:
        if not isinstance(sections, list) or not sections:
            self.problem(name, "sections must be a non-empty list")
            return
        labelled = {s.get("line") for s in sections if isinstance(s, dict)}
        for line in heading_lines(lines):
            if line not in labelled:
                self.problem(
                    name, f"heading on line {line} is not in sections: {lines[line - 1]!r}"
                )
        previous = 0
        for i, section in enumerate(sections):
            where = f"{name}: sections[{i}]"
            kind = section.get("kind")
            if kind not in SECTION_KINDS:
                self.problem(where, f"kind {kind!r} is not a SectionKind value")
            if self.line_text(where, lines, section.get("line"), section.get("text")):
                if section["line"] <= previous:
                    self.problem(where, f"line {section['line']} is not after line {previous}")
                previous = section["line"]
            extra = set(section) - {"kind", "line", "text"}
            if extra:
                self.problem(where, f"unknown keys {sorted(extra)}")

    def check_actions(self, name: str, lines: list[str], actions: Any) -> tuple[set[int], set[int]]:
        open_lines: set[int] = set()
        done_lines: set[int] = set()
        if not isinstance(actions, list):
            self.problem(name, "actions must be a list")
            return open_lines, done_lines
        seen: set[int] = set()
        for i, action in enumerate(actions):
            where = f"{name}: actions[{i}]"
            if not self.line_text(where, lines, action.get("line"), action.get("text")):
                continue
            line = action["line"]
            if line in seen:
                self.problem(where, f"two action items on line {line}")
            seen.add(line)
            state = action.get("state")
            if state not in STATES:
                self.problem(where, f"state must be 'open' or 'done', got {state!r}")
            (open_lines if state == "open" else done_lines).add(line)
            for key in ("owner", "due"):
                if not isinstance(action.get(key), str):
                    self.problem(where, f"{key} must be a string (empty when none is written)")
            if not isinstance(action.get("done_when"), bool):
                self.problem(where, "done_when must be true or false")
            extra = set(action) - {"line", "text", "state", "owner", "due", "done_when"}
            if extra:
                self.problem(where, f"unknown keys {sorted(extra)}")
        return open_lines, done_lines

    def check_timeline(self, name: str, lines: list[str], timeline: Any) -> None:
        where = f"{name}: timeline"
        if not isinstance(timeline, dict):
            self.problem(where, "must be a table {entries, first_line, last_line}")
            return
        entries = timeline.get("entries")
        first, last = timeline.get("first_line"), timeline.get("last_line")
        if not isinstance(entries, int) or entries < 1:
            self.problem(where, f"entries must be a positive integer, got {entries!r}")
        for key, value in (("first_line", first), ("last_line", last)):
            if not isinstance(value, int) or not 1 <= value <= len(lines):
                self.problem(where, f"{key} {value!r} does not exist")
                return
        assert isinstance(first, int) and isinstance(last, int)
        if first > last:
            self.problem(where, "first_line is after last_line")
        if isinstance(entries, int) and entries > last - first + 1:
            self.problem(where, f"{entries} entries cannot fit in lines {first}-{last}")

    def check_findings(
        self,
        name: str,
        lines: list[str],
        findings: Any,
        open_lines: set[int],
        done_lines: set[int],
    ) -> None:
        if not isinstance(findings, list):
            self.problem(name, "findings must be a list")
            return
        seen: Counter[tuple[str, int, str]] = Counter()
        for i, finding in enumerate(findings):
            where = f"{name}: findings[{i}]"
            category = finding.get("category")
            line = finding.get("line")
            if category not in CATEGORIES:
                self.problem(where, f"category {category!r} is not known")
                continue
            extra = set(finding) - {"category", "line", "text", "end_line", "related"}
            if extra:
                self.problem(where, f"unknown keys {sorted(extra)}")
            if line == 0:
                if category not in DOCUMENT_LEVEL:
                    self.problem(where, f"{category} needs a line (line = 0 is not allowed)")
                if "text" in finding:
                    self.problem(where, "a line-0 finding has no text")
            elif not self.line_text(where, lines, line, finding.get("text")):
                continue
            if category == "repeat_incident" and line != 0:
                self.problem(where, "repeat_incident is a whole-document finding (line = 0)")
            if "end_line" in finding:
                end = finding["end_line"]
                if category != "copy_paste":
                    self.problem(where, "end_line is for copy_paste ranges only")
                elif not isinstance(end, int) or not line <= end <= len(lines):
                    self.problem(where, f"end_line {end!r} is not a line at or after {line}")
            elif category == "copy_paste":
                self.problem(where, "copy_paste needs end_line (a range, possibly one line)")
            related = finding.get("related")
            if category in RELATED_REQUIRED:
                if not isinstance(related, str) or not (self.docs / related).is_file():
                    self.problem(where, f"related must name another document, got {related!r}")
                elif related == name:
                    self.problem(where, "related names the document itself")
                elif related not in self.files:
                    self.problem(where, f"related {related!r} is not labelled")
            elif related is not None:
                self.problem(where, "related is for repeat_incident and copy_paste only")
            if category in ACTION_CATEGORIES:
                if line in done_lines:
                    self.problem(where, f"{category} on an item the document says is done")
                elif line not in open_lines:
                    self.problem(where, f"{category} on line {line}, which is no open action")
            key = (str(category), int(line) if isinstance(line, int) else -1, str(related))
            seen[key] += 1
            if seen[key] > 1 and line != 0:
                self.problem(where, f"{category} twice on line {line}")
        vague = {f["line"] for f in findings if f.get("category") == "vague_action"}
        unverifiable = {f["line"] for f in findings if f.get("category") == "unverifiable_action"}
        for line in sorted(vague & unverifiable):
            self.problem(name, f"line {line} is both vague and unverifiable: choose one")

    # --- the whole file ------------------------------------------------------------------

    def check(self) -> list[str]:
        if not self.files:
            self.problem("labels", "no [files] tables")
            return self.problems
        for name, table in self.files.items():
            self.check_file(name, table)
        on_disk = {p.relative_to(self.docs).as_posix() for p in self.docs.rglob("*.md")}
        started = {name.split("/", 1)[0] for name in self.files}
        for name in sorted(on_disk - set(self.files)):
            if not self.partial or name.split("/", 1)[0] in started:
                self.problem(name, "document has no labels")
        return self.problems


def load(path: Path = LABELS) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def check(docs: Path = DOCS, labels: Path = LABELS, partial: bool = False) -> list[str]:
    """Every problem with the labels, one line each; empty when they are sound."""
    files = load(labels).get("files", {})
    return Checker(docs, files if isinstance(files, dict) else {}, partial).check()


def summary(labels: Path = LABELS) -> str:
    """Label counts per category and per folder, as the README reports them."""
    files: dict[str, Any] = load(labels)["files"]
    per_category: Counter[str] = Counter()
    per_folder: dict[str, Counter[str]] = {}
    actions: Counter[str] = Counter()
    for name, table in files.items():
        folder = name.split("/", 1)[0]
        counts = per_folder.setdefault(folder, Counter())
        counts["documents"] += 1
        counts["clean"] += bool(table.get("clean"))
        for finding in table.get("findings", []):
            per_category[finding["category"]] += 1
            counts[finding["category"]] += 1
            counts["findings"] += 1
        for action in table.get("actions", []):
            actions[action["state"]] += 1
    out = ["per category:"]
    out += [f"  {cat:22} {per_category[cat]:4}" for cat in sorted(CATEGORIES)]
    out.append(f"  {'total':22} {sum(per_category.values()):4}")
    out.append("per folder:")
    for folder, counts in sorted(per_folder.items()):
        detail = ", ".join(
            f"{cat} {n}"
            for cat, n in sorted(counts.items())
            if cat not in {"documents", "clean", "findings"}
        )
        out.append(
            f"  {folder:9} {counts['documents']:2} documents, {counts['clean']:2} clean, "
            f"{counts['findings']:3} findings ({detail})"
        )
    out.append(f"action items: {actions['open']} open, {actions['done']} done")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--summary", action="store_true", help="print label counts")
    parser.add_argument(
        "--partial", action="store_true", help="do not report folders not yet labelled"
    )
    args = parser.parse_args(argv)
    if not args.docs.is_dir():
        print(f"{args.docs}: the real corpus is not there", file=sys.stderr)
        return 2
    try:
        problems = check(args.docs, args.labels, args.partial)
    except (OSError, tomllib.TOMLDecodeError) as error:
        print(f"{args.labels}: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem)
    if args.summary:
        print(summary(args.labels))
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the rules: over one document, over a folder of them, over paths on disk.

The rules live in :mod:`followthrough.core.rules` (one class each, one registry); this
module only runs them, applies ``<!-- followthrough: disable=... -->`` suppressions, reports
suppressions that suppressed nothing, and gathers per-file results into a report.
"""

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import TYPE_CHECKING, Any

from followthrough import __version__
from followthrough.core.config import LintConfig, refers_to
from followthrough.core.document import Document
from followthrough.core.rules import BY_CODE, REGISTRY
from followthrough.core.rules.base import (
    CATEGORIES,
    CorpusRule,
    Finding,
    Related,
    Rule,
    Severity,
    view_of,
)
from followthrough.core.rules.process import UnusedSuppression

if TYPE_CHECKING:
    from followthrough.core.kept_results import KeptResults
    from followthrough.core.sources import Source

__all__ = [
    "CATEGORIES",
    "REGISTRY",
    "CorpusRule",
    "FileResult",
    "Finding",
    "LintReport",
    "Related",
    "Rule",
    "RuleError",
    "Severity",
    "lint_corpus",
    "lint_document",
    "lint_paths",
    "lint_text",
]

MARKDOWN_SUFFIXES = (".md", ".markdown")
#: Read through a converter (core.sources): Word/Google Docs, Confluence/Notion exports.
CONVERTED_SUFFIXES = (".docx", ".html", ".htm")
LINTED_SUFFIXES = MARKDOWN_SUFFIXES + CONVERTED_SUFFIXES
#: The version of the JSON record's shape; bumped only when a key changes meaning or goes.
RECORD_VERSION = 1
_UNUSED = next(rule for rule in REGISTRY if isinstance(rule, UnusedSuppression))


class RuleError(Exception):
    """A rule crashed on a document: a bug in the rule, reported as one line per file."""

    def __init__(self, path: str, code: str, error: Exception | str) -> None:
        message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        super().__init__(f"internal error in rule {code}: {message}")
        self.path = path
        self.code = code
        self._message = message

    def __reduce__(self) -> tuple[type[RuleError], tuple[str, str, str]]:
        # sent back from a worker process as the same error
        return (RuleError, (self.path, self.code, self._message))


#: (select, ignore) -> the single-file rules they enable: chosen once, not per document
_ENABLED: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Rule]] = {}


def _single_rules(config: LintConfig) -> list[Rule]:
    key = (tuple(config.select), tuple(config.ignore))
    rules = _ENABLED.get(key)
    if rules is None:
        rules = [
            rule
            for rule in REGISTRY
            if isinstance(rule, Rule) and rule is not _UNUSED and config.is_enabled(rule)
        ]
        if len(_ENABLED) < 64:
            _ENABLED[key] = rules
    return rules


def _corpus_rules(config: LintConfig) -> list[CorpusRule]:
    return [rule for rule in REGISTRY if isinstance(rule, CorpusRule) and config.is_enabled(rule)]


def _raw_findings(
    doc: Document, config: LintConfig, rules: Sequence[Rule] | None = None
) -> list[Finding]:
    found: list[Finding] = []
    for rule in _single_rules(config) if rules is None else rules:
        try:
            found.extend(rule.check(doc, config))
        except Exception as error:  # a rule bug must not take the other files down
            raise RuleError(doc.path, rule.code, error) from error
    return found


@dataclass(frozen=True)
class Marks:
    """What applying a document's suppressions needs of it: its disable comments (line ->
    what they name; line 0 is the whole file) and the excerpt of each comment's line."""

    suppressions: dict[int, set[str]] = field(default_factory=dict)
    excerpts: dict[int, str] = field(default_factory=dict)


_NO_MARKS = Marks()


def marks_of(doc: Document) -> Marks:
    if not doc.suppressions:
        return _NO_MARKS
    view = view_of(doc) if doc.text else None
    return Marks(
        doc.suppressions,
        {key: view.excerpt(key or 1) if view else "" for key in doc.suppressions},
    )


def _finish(
    marks: Marks, found: list[Finding], config: LintConfig, *, ran_corpus: bool
) -> list[Finding]:
    """Apply suppressions, report unused ones, sort by position."""
    kept: list[Finding] = []
    used: set[tuple[int, str]] = set()
    suppressions = marks.suppressions
    for finding in found:
        rule = BY_CODE.get(finding.rule)
        hits: list[tuple[int, str]] = []
        if suppressions and rule is not None:
            for key, refs in suppressions.items():
                if key != 0 and not finding.line <= key <= max(finding.end_line, finding.line):
                    continue
                # every name of the rule on the comment silenced it ("PM201,unowned_action"):
                # none is unused, whatever order the set gives
                hits = [(key, ref) for ref in refs if refers_to(ref, rule)]
                if hits:
                    break
        if hits:
            used.update(hits)
        else:
            kept.append(finding)
    kept = _one_per_place(kept)
    if suppressions and config.is_enabled(_UNUSED):
        kept.extend(_unused_suppressions(marks, used, config, ran_corpus=ran_corpus))
    kept.sort(key=lambda f: (f.line, f.end_line, f.rule))
    return kept


def _one_per_place(found: list[Finding]) -> list[Finding]:
    """One rule per category per line: when two rules of a family flag the same line
    ("The on-call should have known" is both a person as agent and hindsight), the most
    severe, then the lowest code, speaks for both. A linter that repeats itself is noise."""
    if not found:
        return found
    winner: dict[tuple[str, int], Finding] = {}
    # only the codes present: a folder run calls this once per document
    alone = {
        code
        for code in {f.rule for f in found}
        if (rule := BY_CODE.get(code)) is not None and not rule.merges
    }
    for finding in found:
        if finding.rule in alone:
            continue
        key = (finding.category, finding.line)
        other = winner.get(key)
        if other is None or (-finding.severity.rank, finding.rule) < (
            -other.severity.rank,
            other.rule,
        ):
            winner[key] = finding
    return [f for f in found if f.rule in alone or winner[(f.category, f.line)].rule == f.rule]


def _unused_suppressions(
    marks: Marks, used: set[tuple[int, str]], config: LintConfig, *, ran_corpus: bool
) -> Iterator[Finding]:
    for key, refs in sorted(marks.suppressions.items()):
        for ref in sorted(refs):
            if (key, ref) in used:
                continue
            rules = [rule for rule in REGISTRY if refers_to(ref, rule)]
            line = key or 1
            excerpt = marks.excerpts[key]
            if not rules:
                yield _UNUSED.finding(
                    config,
                    line,
                    f"Suppression names no rule: {ref!r}",
                    excerpt,
                    fix="Use a rule code (PM201), name (action-items.unowned) or category; `followthrough rules` lists them.",
                )
                continue
            if any(not config.is_enabled(rule) for rule in rules):
                continue  # the rule did not run: cannot tell
            if not ran_corpus and any(isinstance(rule, CorpusRule) for rule in rules):
                continue
            where = "in this file" if key == 0 else "here"
            yield _UNUSED.finding(
                config,
                line,
                f"Unused suppression: {ref!r} finds nothing {where}",
                excerpt,
                fix="Delete the disable comment: the finding it silenced is gone.",
            )


def lint_document(doc: Document, config: LintConfig | None = None) -> list[Finding]:
    """Findings of the single-file rules, suppressions applied, sorted by line."""
    config = config or LintConfig()
    return _finish(marks_of(doc), _raw_findings(doc, config), config, ran_corpus=False)


def lint_text(text: str, path: str = "<text>", config: LintConfig | None = None) -> list[Finding]:
    from followthrough.core.markdown import parse

    return lint_document(parse(text, path), config)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a folder-level rule runs. Those rules build
    hundreds of thousands of small tuples and sets (shingles, candidate pairs) beside every
    parsed document of the folder, none of them in a reference cycle; each collection would
    walk all of it again (a third of the run on 10,000 documents)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def lint_corpus(
    docs: Sequence[Document],
    config: LintConfig | None = None,
    *,
    report: Collection[str] | None = None,
) -> dict[str, list[Finding]]:
    """Single-file and folder-level findings for every document, by path.

    With ``report``, the folder-level rules still compare every document, but findings are
    computed and returned only for the documents whose path is in ``report`` (a pre-commit
    hook reports the staged files, checked against the whole folder)."""
    config = config or LintConfig()
    rules = _single_rules(config)
    shown = [doc for doc in docs if report is None or doc.path in report]
    raw: dict[str, list[Finding]] = {doc.path: _raw_findings(doc, config, rules) for doc in shown}
    signatures = []
    for rule in _corpus_rules(config):
        try:
            signatures.append([rule.signature(doc, config) for doc in docs])
        except Exception as error:
            raise RuleError("<corpus>", rule.code, error) from error
    _add_corpus(signatures, [doc.path for doc in docs], raw, config)
    return {
        doc.path: _finish(marks_of(doc), raw[doc.path], config, ran_corpus=True) for doc in shown
    }


def _add_corpus(
    signatures: Sequence[Sequence[Any]],
    paths: Sequence[str],
    raw: dict[str, list[Finding]],
    config: LintConfig,
) -> None:
    """The folder-level findings added to the single-file ones (``raw``, by path): each
    enabled folder rule compares its ``signatures`` (one list per rule, in the order of
    :func:`_corpus_rules`; one signature per document of ``paths``)."""
    for rule, signed in zip(_corpus_rules(config), signatures, strict=True):
        try:
            with _collector_paused():
                for d, finding in rule.compare(signed, config):
                    found = raw.get(paths[d])
                    if found is not None:
                        found.append(finding)
        except Exception as error:
            raise RuleError("<corpus>", rule.code, error) from error


# --- paths on disk ------------------------------------------------------------------------


def path_text(path: str) -> str:
    """A path fit to print: a file name that is not UTF-8 shows its odd bytes as ``\\xNN``
    instead of breaking the output."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


@dataclass
class FileResult:
    path: str
    findings: list[Finding]

    def to_record(self) -> dict[str, object]:
        return {"path": path_text(self.path), "findings": [f.to_record() for f in self.findings]}


@dataclass
class LintReport:
    files: list[FileResult] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)
    summary: dict[str, object] = field(default_factory=dict)
    #: paths where followthrough itself failed (a rule crashed): a bug, not bad input
    crashed: list[str] = field(default_factory=list)

    def file_records(self) -> Iterator[dict[str, object]]:
        """Each file's part of :meth:`to_record`, made when it is asked for."""
        return (result.to_record() for result in self.files)

    def findings(self) -> Iterator[tuple[str, Finding]]:
        for result in self.files:
            for finding in result.findings:
                yield result.path, finding

    def failed(self, threshold: Severity) -> bool:
        """True when any finding is at or above ``threshold``."""
        return any(f.severity.rank >= threshold.rank for _, f in self.findings())

    def to_record(self, *, files: bool = True) -> dict[str, object]:
        """DESIGN.md's JSON document: {"files": [...], "summary": {...}}, with the tool and
        record version, and the files that could not be read (``errors``). Without
        ``files``, their list is left empty: a writer takes them one by one from
        :meth:`file_records`."""
        return {
            "tool": {"name": "followthrough", "version": __version__},
            "record_version": RECORD_VERSION,
            "files": list(self.file_records()) if files else [],
            "errors": [{"path": path_text(p), "reason": reason} for p, reason in self.errors],
            "summary": dict(self.summary),
        }


def summarize(files: Sequence[FileResult], errors: Sequence[tuple[str, str]]) -> dict[str, object]:
    severities: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for result in files:
        for finding in result.findings:
            severities[finding.severity.value] += 1
            categories[finding.category] += 1
    return {
        "files": len(files),
        "files_with_findings": sum(1 for r in files if r.findings),
        "findings": sum(severities.values()),
        "error": severities["error"],
        "warning": severities["warning"],
        "info": severities["info"],
        "by_category": dict(sorted(categories.items())),
        "unreadable": len(errors),
    }


def expand_paths(paths: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Files to lint (folders searched recursively for Markdown, .docx and HTML exports,
    hidden folders and a Confluence export's index.html skipped, sorted) and paths that do
    not exist.

    Paths are tidied as typed (``./x.md`` reads ``x.md``) and each file is linted once,
    however many ways it was named (``x.md``, ``./x.md``, its absolute path, a link to it):
    otherwise one file would be reported twice and flagged as a copy of itself."""
    files, missing = _expanded(paths)
    return [path for path, _ in files], missing


def _expanded(paths: Sequence[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """:func:`expand_paths`, each file with its real path."""
    files: list[tuple[str, str]] = []
    missing: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(path: str, identity: str) -> None:
        if identity not in seen:
            seen.add(identity)
            files.append((path, identity))

    for given in paths:
        given = os.path.normpath(given) if given else given
        if os.path.isdir(given):
            for path, identity in sorted(_linted_in(given)):
                add(path, identity)
        elif os.path.exists(given) and not os.path.isfile(given):
            missing.append((given, "not a regular file"))  # a FIFO would be waited on
        elif os.path.exists(given) or os.path.islink(given):
            add(given, os.path.realpath(given))
        else:
            missing.append((given, "no such file or directory"))
    return files, missing


def _linted_in(folder: str) -> list[tuple[str, str]]:
    """The files of ``folder`` and its folders that are linted (not hidden, not an export's
    index), unsorted, each with its real path; what is not a regular file (a FIFO, a socket,
    a device) is skipped, and a folder's links to folders are not followed."""
    found: list[tuple[str, str]] = []
    folders = [folder]
    while folders:
        listed_folder = folders.pop()
        try:
            with os.scandir(listed_folder) as listed:
                entries = list(listed)
        except OSError:
            continue
        # a file that is not a link is where its folder really is: one realpath a folder
        # (each costs ~30 us of system calls), not one a file
        real_folder = os.path.realpath(listed_folder)
        for entry in entries:
            name = entry.name
            if entry.is_dir():
                if not name.startswith(".") and not entry.is_symlink():
                    folders.append(entry.path)
                continue
            lowered = name.lower()
            if (
                lowered.endswith(LINTED_SUFFIXES)
                and not name.startswith(".")
                and lowered not in ("index.html", "index.htm")
                and (entry.is_file() or not os.path.exists(entry.path))  # (a broken link: told)
            ):
                identity = (
                    os.path.realpath(entry.path)
                    if entry.is_symlink()
                    else os.path.join(real_folder, name)
                )
                found.append((os.path.normpath(entry.path), identity))
    return found


def lint_paths(
    paths: Sequence[str],
    config: LintConfig | None = None,
    *,
    against: Sequence[str] = (),
    jobs: int = 1,
    cache: bool = False,
) -> LintReport:
    """Lint files and folders. Unreadable files are listed in ``errors``; the rest are
    linted, and checked against each other unless ``config.corpus`` is off.

    ``against`` names more files or folders that the folder-level checks (copy-paste,
    repeat incidents) compare with, without reporting on them: a hook that lints only the
    staged postmortems still sees a near-copy of an old one in the folder.

    Each file is read, parsed and linted by the single-file rules, and each folder rule
    takes its signature of it (:meth:`CorpusRule.signature`); the document is then let go,
    so memory grows with the folder's signatures, not its documents. ``jobs`` above 1 does
    that in that many processes; the folder rules then compare the signatures here. The
    report is the one a single process gives.

    With ``cache``, what reading each Markdown file gave is kept in the cache folder, and a
    file read by an earlier run with the same bytes, path, configuration and code is not
    read again (:mod:`followthrough.core.kept_results`): in runs of :data:`KEPT_FROM` files
    or more (a folder, or a hook's file ``against`` its folder). The report is the same."""
    config = config or LintConfig()
    files, errors = _expanded(paths)
    context_files, missing_context = _expanded(against)
    errors.extend(missing_context)
    shown = {identity for _, identity in files}
    entries = [(p, True) for p, _ in files]
    entries += [(p, False) for p, identity in context_files if identity not in shown]
    compare = config.corpus and len(entries) > 1
    kept = _kept_results(config) if cache and len(entries) >= KEPT_FROM else None
    try:
        return _lint_entries(entries, errors, config, compare, jobs, kept)
    finally:
        if kept is not None:
            kept.close()  # (written when the last file was read: this only lets go)


def _lint_entries(
    entries: list[tuple[str, bool]],
    errors: list[tuple[str, str]],
    config: LintConfig,
    compare: bool,
    jobs: int,
    kept: KeptResults | None,
) -> LintReport:
    """The report of :func:`lint_paths` on its files (reported or not), given the paths it
    could not find (``errors``)."""
    read = (
        _read_entries(entries, config, compare, jobs, keep=False)
        if kept is None
        else _read_through(kept, entries, config, compare, jobs)
    )
    reported: list[_Read] = []
    #: every readable document (reported first, then neighbours), as the folder rules number them
    names: list[str] = []
    signatures: list[list[Any]] = [[] for _ in _corpus_rules(config)] if compare else []
    broken: RuleError | None = None  # a folder rule's signature crashed
    line_maps: dict[str, Source] = {}
    for path, is_reported, outcome in read:
        if isinstance(outcome, str):
            if is_reported:
                errors.append((path, outcome))
            continue  # an unreadable neighbour is not this run's business
        if outcome.source is not None and outcome.source.lines is not None:
            line_maps[path] = outcome.source
        if is_reported:
            reported.append(outcome)
        names.append(path)
        if isinstance(outcome.signatures, RuleError):
            broken = broken or outcome.signatures
        else:
            for signed, signature in zip(signatures, outcome.signatures, strict=True):
                signed.append(signature)
    results: list[FileResult] = []
    crashed: list[str] = []
    by_path: dict[str, list[Finding]] | None = None
    if compare and len(names) > 1:
        try:
            raw: dict[str, list[Finding]] = {}
            for one in reported:
                if isinstance(one.found, RuleError):
                    raise one.found
                raw[one.path] = list(one.found)  # kept as it is for a fallback below
            if broken is not None:
                raise broken
            _add_corpus(signatures, names, raw, config)
            by_path = {
                one.path: _finish(one.marks, raw[one.path], config, ran_corpus=True)
                for one in reported
            }
        except RuleError as error:
            errors.append((error.path, str(error)))
            crashed.append(error.path)
    if by_path is None:
        by_path = _finish_each(reported, config, errors, crashed)
    for one in reported:
        if one.path in by_path:
            found = by_path[one.path]
            if one.path in line_maps:
                found = _in_source_lines(found, line_maps[one.path], line_maps)
            results.append(FileResult(one.path, found))
    return LintReport(results, errors, summarize(results, errors), crashed)


#: a folder this small is linted in one process: starting the others would cost more
PARALLEL_FROM = 16
#: a run of fewer files reads them all and keeps nothing: reading the store's index (up to
#: ~25 ms for 20,000 records) would cost more than reading them (~3 ms each)
KEPT_FROM = 16


def _read_entries(
    entries: list[tuple[str, bool]], config: LintConfig, compare: bool, jobs: int, keep: bool
) -> Iterator[tuple[str, bool, _Outcome]]:
    """Every entry read (:func:`_read_one`), in order, by ``jobs`` processes when there
    are enough of them; with ``keep``, each Markdown file's content digest made for the
    kept results."""
    if jobs > 1 and len(entries) >= PARALLEL_FROM:
        return _read_in_parallel(entries, config, compare, jobs, keep)
    return map(_read_one, entries, repeat(config), repeat(compare), repeat(keep))


def _kept_results(config: LintConfig) -> KeptResults | None:
    from followthrough.core.kept_results import KeptResults

    return KeptResults.opened(config, _corpus_rules(config))


def _read_through(
    kept: KeptResults,
    entries: list[tuple[str, bool]],
    config: LintConfig,
    compare: bool,
    jobs: int,
) -> Iterator[tuple[str, bool, _Outcome]]:
    """:func:`_read_entries`, but each Markdown file whose record is ``kept`` taken from
    it instead of read, and what is read of the others kept."""
    hits: dict[int, _Read] = {}
    for n, (path, reported) in enumerate(entries):
        data = _kept_bytes(path)
        if data is None:
            continue
        record = kept.get(kept.key(path, data), reported=reported, compare=compare)
        if record is None:
            continue
        found, marks, signatures = record
        hits[n] = _Read(
            path,
            list(found or ()) if reported else [],
            marks if reported else _NO_MARKS,
            signatures or () if compare else (),
            None,
        )
    misses = [entry for n, entry in enumerate(entries) if n not in hits]
    read = _read_entries(misses, config, compare, jobs, keep=True)
    for n, (path, reported) in enumerate(entries):
        if n in hits:
            yield path, reported, hits.pop(n)
            continue
        one = next(read)
        outcome = one[2]
        if (
            isinstance(outcome, _Read)
            and outcome.content is not None  # kept under the bytes that were parsed
            and not isinstance(outcome.found, RuleError)
            and not isinstance(outcome.signatures, RuleError)
        ):
            kept.add(
                kept.key_of(path, outcome.content),
                (
                    tuple(outcome.found) if reported else None,
                    outcome.marks,
                    outcome.signatures if compare else None,
                ),
            )
        yield one
    next(read, None)  # the reader's end: its workers are let go
    kept.save()  # before the folder rules compare: the store's index is let go


def _kept_bytes(path: str) -> bytes | None:
    """The bytes of a Markdown file whose reading may be kept; None for the others (a
    converted file, one too large or that cannot be read: read as usual)."""
    from followthrough.core.markdown import MAX_BYTES, DocumentReadError, read_bytes

    if path.lower().endswith(CONVERTED_SUFFIXES):
        return None
    try:
        data = read_bytes(path)
    except DocumentReadError:
        return None
    return data if len(data) <= MAX_BYTES else None  # (grown since its size was read)


@dataclass
class _Read:
    """One readable file of a run, as the process that reports needs it: its single-file
    findings (or the error a rule raised on it), its suppressions, each folder rule's
    signature of it (or the error one raised), and its conversion (a .docx or HTML
    export's line map)."""

    path: str
    found: list[Finding] | RuleError
    marks: Marks
    signatures: tuple[Any, ...] | RuleError
    source: Source | None
    #: a Markdown file's :func:`content_digest`, of the very bytes that were parsed
    content: bytes | None = None


#: what reading one path gives: a one-line reason it could not be read, or what was read
_Outcome = str | _Read


def _read_one(
    entry: tuple[str, bool], config: LintConfig, compare: bool, keep: bool = False
) -> tuple[str, bool, _Outcome]:
    """Read one path of a run, lint it with the single-file rules when it is reported, and
    take the folder rules' signatures of it when ``compare``; with ``keep``, the digest of
    the bytes parsed, which its kept record is filed under."""
    from followthrough.core.markdown import DocumentReadError, read_bytes

    path, reported = entry
    data = None
    try:
        if not path.lower().endswith(CONVERTED_SUFFIXES):
            data = read_bytes(path)
        doc, source = read_document(path, data)
    except (DocumentReadError, OSError) as error:
        reason = error.strerror if isinstance(error, OSError) else None
        return path, reported, reason or str(error)
    doc.path = path
    found: list[Finding] | RuleError = []
    if reported:
        try:
            found = _raw_findings(doc, config)
        except RuleError as error:
            found = error
    signatures: tuple[Any, ...] | RuleError = ()
    if compare:
        signed = []
        for rule in _corpus_rules(config):
            try:
                signed.append(rule.signature(doc, config))
            except Exception as error:
                signatures = RuleError("<corpus>", rule.code, error)
                break
        else:
            signatures = tuple(signed)
    marks = marks_of(doc) if reported else _NO_MARKS
    if source is not None:
        source = replace(source, markdown="")  # only its line map is read from here on
    content = None
    if keep and data is not None:
        from followthrough.core.kept_results import content_digest

        content = content_digest(data)
    return path, reported, _Read(path, found, marks, signatures, source, content)


#: what reading a chunk of entries gives, in their order
_ReadChunk = list[tuple[str, bool, _Outcome]]


def _read_chunk(
    entries: list[tuple[str, bool]], config: LintConfig, compare: bool, keep: bool
) -> _ReadChunk:
    return [_read_one(entry, config, compare, keep) for entry in entries]


def _read_in_parallel(
    entries: list[tuple[str, bool]], config: LintConfig, compare: bool, jobs: int, keep: bool
) -> Iterator[tuple[str, bool, _Outcome]]:
    """Every entry read, parsed, linted and signed by ``jobs`` processes, in order: this
    one and ``jobs - 1`` workers. This process reads chunks too rather than wait for the
    workers' (one process fewer to start, and what it reads is never pickled); each worker
    is sent its next chunk before it finishes one, so it never waits for this process."""
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    # fork shares the imported modules with the workers; elsewhere they import them again
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunks = _chunks(entries, jobs)
    # chunks by number until they are handed on: those sent to a worker, those read here
    sent: dict[int, Future[_ReadChunk]] = {}
    read: dict[int, _ReadChunk] = {}
    ahead = 2 * (jobs - 1)  # chunks the workers hold: the ones they read and the next
    taken = given = 0  # chunks taken by a process; chunks handed on, in order
    with ProcessPoolExecutor(max_workers=jobs - 1, mp_context=context) as pool:
        while given < len(chunks):
            waiting = sum(1 for future in sent.values() if not future.done())
            for _ in range(min(ahead - waiting, len(chunks) - taken)):
                sent[taken] = pool.submit(_read_chunk, chunks[taken], config, compare, keep)
                taken += 1
            if taken < len(chunks):
                read[taken] = _read_chunk(chunks[taken], config, compare, keep)
                taken += 1
            # a worker's chunk is waited for only when this process has nothing left to read
            while given < taken and (given in read or taken == len(chunks) or sent[given].done()):
                chunk = read.pop(given) if given in read else sent.pop(given).result()
                given += 1
                yield from chunk


#: the fewest files a worker is sent at once: each message costs a little, and when this
#: process has read its last chunk it waits for what a worker holds (the chunk it reads and
#: the next, which it cannot take back)
_SMALLEST_CHUNK = 2


def _chunks(entries: list[tuple[str, bool]], jobs: int) -> list[list[tuple[str, bool]]]:
    """The entries cut for ``jobs`` workers, each chunk a quarter of an even share of what
    is left: large chunks first (few messages), small ones at the end, so that the workers
    run out of work together instead of one finishing a large chunk alone."""
    chunks = []
    start = 0
    while start < len(entries):
        size = max(_SMALLEST_CHUNK, (len(entries) - start) // (jobs * 4))
        chunks.append(entries[start : start + size])
        start += size
    return chunks


def read_document(path: str, data: bytes | None = None) -> tuple[Document, Source | None]:
    """A postmortem file as a Document: Markdown as it is (parsed from ``data``, its bytes,
    when they were read already), other formats converted (with the conversion, whose line
    map points findings back into the file)."""
    from followthrough.core.markdown import parse, parse_bytes, read_file

    if not path.lower().endswith(CONVERTED_SUFFIXES):
        return (read_file(path) if data is None else parse_bytes(data, path)), None
    from followthrough.core.sources import read_source

    source = read_source(path)
    return parse(source.markdown, path), source


def _in_source_lines(
    found: list[Finding], source: Source, others: dict[str, Source]
) -> list[Finding]:
    """Findings on a converted document, their lines (and their related documents' lines)
    moved from the converted Markdown to the lines of the file the person wrote."""

    def moved(related: Related) -> Related:
        other = others.get(related.path)
        if other is None or related.line is None:
            return related
        return replace(related, line=other.source_line(related.line))

    return [
        replace(
            f,
            line=source.source_line(f.line),
            end_line=max(source.source_line(f.end_line), source.source_line(f.line)),
            related=tuple(moved(r) for r in f.related),
        )
        for f in found
    ]


def _finish_each(
    reported: Sequence[_Read],
    config: LintConfig,
    errors: list[tuple[str, str]],
    crashed: list[str],
) -> dict[str, list[Finding]]:
    """Single-file findings only, suppressions applied (no folder checks ran)."""
    out: dict[str, list[Finding]] = {}
    for one in reported:
        if isinstance(one.found, RuleError):
            errors.append((one.path, str(one.found)))
            crashed.append(one.path)
        else:
            out[one.path] = _finish(one.marks, list(one.found), config, ran_corpus=False)
    return out

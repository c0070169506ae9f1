"""Reporters: functions in a dict, each fed the one JSON record of a lint report
(``LintReport.to_record()``, built from ``Finding.to_record()``) and returning text.

Adding a format is adding a function to :data:`REPORTERS`; nothing else changes.
"""

from __future__ import annotations

import inspect
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from followthrough import __version__
from followthrough.core.regex import lazy
from followthrough.core.rules import REGISTRY
from followthrough.core.rules.base import CorpusRule, Rule


def _json_text(value: object, **options: Any) -> str:
    """``json.dumps``, with ``json`` imported only by the reports written in JSON (the text
    report of a pre-commit hook's one file does without it)."""
    import json

    return json.dumps(value, **options)


Record = dict[str, Any]
Reporter = Callable[[Record], str]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(summary: Record) -> str:
    files = int(summary.get("files", 0))
    findings = int(summary.get("findings", 0))
    parts = [
        _plural(int(summary.get("error", 0)), "error"),
        _plural(int(summary.get("warning", 0)), "warning"),
        f"{int(summary.get('info', 0))} info",
    ]
    line = f"{_plural(files, 'file')} linted, {_plural(findings, 'finding')} ({', '.join(parts)})"
    unreadable = int(summary.get("unreadable", 0))
    if unreadable:
        line += f"; {_plural(unreadable, 'file')} could not be read"
    return line


def report_text(record: Record) -> str:
    """Grouped per file: line, code, severity, message, the offending text, the fix."""
    out: list[str] = []
    write_text(record, record["files"], out.append)
    return "".join(out)


def write_text(record: Record, files: Iterable[Record], write: Callable[[str], object]) -> None:
    """:func:`report_text` written as it goes, a file at a time (``files`` in place of the
    record's)."""
    for file in files:
        findings = file["findings"]
        if not findings:
            continue
        out = [file["path"]]
        for f in findings:
            where = f"{f['line']}" if f["end_line"] == f["line"] else f"{f['line']}-{f['end_line']}"
            out.append(f"  {where:>7}  {f['rule']}  {f['severity']:<7}  {f['message']}")
            if f["excerpt"]:
                out.append(f"           | {f['excerpt']}")
            for related in f["related"][:3]:
                at = f":{related['line']}" if related["line"] else ""
                why = f": {related['reason']}" if related.get("reason") else ""
                out.append(
                    f"           ~ {related['path']}{at} (similarity {related['score']:.2f}){why}"
                )
            if f["fix"]:
                out.append(f"           fix: {f['fix']}")
        out.append("")
        write("\n".join(out) + "\n")
    write(summary_line(record["summary"]) + "\n")


def report_json(record: Record) -> str:
    """DESIGN.md's contract, exactly: {"files": [{"path", "findings"}], "summary"}."""
    return _json_text(record, indent=2, ensure_ascii=False) + "\n"


#: where the files' list sits in the record's JSON (strings hold no raw line break, so
#: only the record's own key starts a line with it)
_FILES_KEY = '\n  "files": []'


def write_json(record: Record, files: Iterable[Record], write: Callable[[str], object]) -> None:
    """:func:`report_json` written as it goes, a file at a time (``files`` in place of the
    record's): the same text, without the whole report held as one string and the
    encoder's million pieces."""
    head = report_json({**record, "files": []})
    at = head.index(_FILES_KEY) + len(_FILES_KEY) - 1
    write(head[: at - 1])
    opening = "["
    for file in files:
        item = _json_text(file, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        write(f"{opening}\n    {item}")
        opening = ","
    write(head[at - 1 : at + 1] if opening == "[" else "\n  ]")
    write(head[at + 1 :])


def _rule_description(rule: Rule | CorpusRule) -> str:
    doc = inspect.cleandoc(rule.__doc__ or "")
    return " ".join(doc.split("\n\n", 1)[0].split())


# --- SARIF ----------------------------------------------------------------------------------

INFORMATION_URI = "https://github.com/followthrough/followthrough"
RULES_URI = f"{INFORMATION_URI}/blob/main/docs/rules.md"
#: GitHub code scanning ignores a run's results beyond this many.
SARIF_MAX_RESULTS = 25_000
_SRCROOT = "%SRCROOT%"
#: Files that could not be read are results too: an upload without them would close their
#: alerts as fixed.
UNREADABLE = {
    "id": "PM000",
    "name": "input.unreadable",
    "shortDescription": {"text": "The file could not be read as a postmortem."},
    "fullDescription": {
        "text": "The file is not UTF-8 text, is empty, too large, or could not be opened; "
        "nothing in it was checked."
    },
    "help": {"text": "Fix or remove the file; the message says why it could not be read."},
    "helpUri": f"{RULES_URI}#unreadable-files",
    "defaultConfiguration": {"level": "error"},
    "properties": {"category": "input", "tags": ["input"]},
}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _rule_help(rule: Rule | CorpusRule) -> dict[str, str]:
    parts = docstring_parts(rule)
    why = " ".join(parts.get("why", "").split())
    text = f"{_rule_description(rule)}\n\nWhy: {why}" if why else _rule_description(rule)
    markdown = [f"**{rule.code} `{rule.name}`**: {_rule_description(rule)}"]
    if why:
        markdown.append(f"**Why.** {why}")
    for label in ("bad", "good"):
        if parts.get(label):
            markdown.append(f"{label.capitalize()}:\n\n```markdown\n{parts[label]}\n```")
    return {"text": text, "markdown": "\n\n".join(markdown)}


def repository_root(start: str | None = None) -> str | None:
    """The nearest folder at or above ``start`` (the working directory) holding ``.git``."""
    here = os.path.abspath(start or os.getcwd())
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _uri(path: str) -> str:
    """A relative URI reference for a path: every segment percent-encoded, so a colon is
    never read as a scheme and odd bytes survive."""
    return quote(os.fsencode(path.replace("\\", "/")), safe="/._-~")


def artifact_location(path: str, root: str | None) -> Record:
    """Relative to the repository root (``%SRCROOT%``), as GitHub code scanning needs;
    an absolute file URI for a file outside it."""
    absolute = os.path.abspath(path)
    if root is not None:
        relative = os.path.relpath(absolute, root)
        if relative != ".." and not relative.startswith(".." + os.sep):
            return {"uri": _uri(relative), "uriBaseId": _SRCROOT}
    return {"uri": "file://" + _uri(absolute)}


def _sarif_escape(text: str) -> str:
    """SARIF message text: brackets are escaped so that only our links are links."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _fingerprint(rule: str, excerpt: str, occurrence: int) -> str:
    """Stable across commits while the flagged text stays: the rule and the text (whitespace
    folded), numbered when the same text is flagged twice in a file. Uploads through the
    REST API then update alerts instead of duplicating them."""
    import hashlib  # only for SARIF and Code Quality: loading OpenSSL costs a one-file run

    digest = hashlib.sha256(f"{rule}\0{' '.join(excerpt.split())}".encode()).hexdigest()
    return f"{digest[:32]}:{occurrence}"


def _sarif_result(f: Record, location: Record, root: str | None, occurrence: int) -> Record:
    text = f["message"] + (f" Fix: {f['fix']}" if f["fix"] else "")
    result: Record = {
        "ruleId": f["rule"],
        "level": _SARIF_LEVEL[f["severity"]],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": {
                        "startLine": max(1, f["line"]),
                        "endLine": max(1, f["end_line"], f["line"]),
                        **({"snippet": {"text": f["excerpt"]}} if f["excerpt"] else {}),
                    },
                }
            }
        ],
        "partialFingerprints": {
            "primaryLocationLineHash": _fingerprint(f["rule"], f["excerpt"], occurrence)
        },
        "properties": {"category": f["category"], "name": f["name"]},
    }
    if f["related"]:
        links = ", ".join(
            f"[{_sarif_escape(r['path'])}]({n}) ({r['score']:.2f})"
            for n, r in enumerate(f["related"], start=1)
        )
        result["message"]["text"] = _sarif_escape(text) + f" Related: {links}."
        result["relatedLocations"] = [
            {
                "id": n,
                "message": {"text": f"similarity {r['score']:.2f}"},
                "physicalLocation": {
                    "artifactLocation": artifact_location(r["path"], root),
                    **({"region": {"startLine": r["line"]}} if r["line"] else {}),
                },
            }
            for n, r in enumerate(f["related"], start=1)
        ]
    return result


def report_sarif(record: Record) -> str:
    """SARIF 2.1.0, as GitHub code scanning and most CI dashboards read it: rules with help
    and a help URI, paths relative to the repository root, fingerprints, related documents
    as links, unreadable files as results, the most severe first within GitHub's limit."""
    rules = list(REGISTRY)
    index = {rule.code: i for i, rule in enumerate(rules, start=1)}
    descriptors: list[Record] = [UNREADABLE] + [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": _rule_description(rule)},
            "help": _rule_help(rule),
            "helpUri": f"{RULES_URI}#{rule.code.lower()}",
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity.value]},
            "properties": {"category": rule.category, "tags": [rule.category]},
        }
        for rule in rules
    ]
    root = repository_root()
    ranked: list[tuple[int, int, Record]] = []
    for file in record["files"]:
        location = artifact_location(file["path"], root)
        seen: Counter[tuple[str, str]] = Counter()
        for f in file["findings"]:
            key = (f["rule"], " ".join(f["excerpt"].split()))
            seen[key] += 1
            result = _sarif_result(f, location, root, seen[key])
            if f["rule"] in index:
                result["ruleIndex"] = index[f["rule"]]
            ranked.append((_SEVERITY_ORDER[f["severity"]], len(ranked), result))
    for error in record.get("errors", []):
        result = {
            "ruleId": UNREADABLE["id"],
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": f"Could not be read: {error['reason']}"},
            "locations": [
                {"physicalLocation": {"artifactLocation": artifact_location(error["path"], root)}}
            ],
            "partialFingerprints": {"primaryLocationLineHash": _fingerprint("PM000", "", 1)},
        }
        ranked.append((0, len(ranked), result))
    ranked.sort(key=lambda item: (item[0], item[1]))
    results = [result for _, _, result in ranked[:SARIF_MAX_RESULTS]]
    notifications: list[Record] = []
    if len(ranked) > SARIF_MAX_RESULTS:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{len(ranked) - SARIF_MAX_RESULTS} less severe results left out: "
                    f"code scanning reads at most {SARIF_MAX_RESULTS} per run."
                },
            }
        )
    run: Record = {
        "tool": {
            "driver": {
                "name": "followthrough",
                "version": record.get("tool", {}).get("version", __version__),
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if root is not None:
        run["originalUriBaseIds"] = {_SRCROOT: {"uri": "file://" + _uri(root.rstrip("/") + "/")}}
    sarif = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return _json_text(sarif, indent=2, ensure_ascii=False) + "\n"


# --- GitHub Actions -------------------------------------------------------------------------

#: GitHub shows at most this many annotations of each type (error, warning, notice) per step.
GITHUB_ANNOTATIONS_PER_TYPE = 10


def escape_github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_github_property(text: str) -> str:
    return escape_github_data(text).replace(":", "%3A").replace(",", "%2C")


def report_github(record: Record) -> str:
    """GitHub Actions workflow commands, the most severe first: one annotation per finding
    up to GitHub's ten of each type, the rest as plain log lines (GitHub would drop them)."""
    findings = sorted(
        ((file["path"], f) for file in record["files"] for f in file["findings"]),
        key=lambda pair: _SEVERITY_ORDER[pair[1]["severity"]],
    )
    out: list[str] = []
    shown: Counter[str] = Counter()
    left: Counter[str] = Counter()
    for path, f in findings:
        level = _GITHUB_LEVEL[f["severity"]]
        message = f["message"] + (f" Fix: {f['fix']}" if f["fix"] else "")
        if shown[level] < GITHUB_ANNOTATIONS_PER_TYPE:
            shown[level] += 1
            title = escape_github_property(f"{f['rule']} {f['name']}")
            out.append(
                f"::{level} file={escape_github_property(path)},line={f['line']},"
                f"endLine={max(f['end_line'], f['line'])},title={title}::"
                f"{escape_github_data(message)}"
            )
        else:
            left[level] += 1
            out.append(escape_github_data(f"{path}:{f['line']}: {f['rule']} {level}: {message}"))
    for error in record.get("errors", []):
        out.append(
            f"::error file={escape_github_property(error['path'])},title=PM000 unreadable::"
            f"{escape_github_data('Could not be read: ' + error['reason'])}"
        )
    summary = summary_line(record["summary"])
    if left:
        more = ", ".join(f"{n} {level}" for level, n in sorted(left.items()))
        summary += f" ({more} beyond GitHub's {GITHUB_ANNOTATIONS_PER_TYPE} annotations per type: listed above)"
    out.append(escape_github_data(summary))
    return "\n".join(out) + "\n"


# --- GitLab code quality --------------------------------------------------------------------

_CODE_QUALITY_SEVERITY = {"error": "major", "warning": "minor", "info": "info"}


def report_codeclimate(record: Record) -> str:
    """GitLab's code quality report (a subset of the Code Climate format): what a merge
    request widget shows. Paths are relative to the repository root."""
    import hashlib

    root = repository_root()
    issues: list[Record] = []
    for file in record["files"]:
        absolute = os.path.abspath(file["path"])
        path = os.path.relpath(absolute, root) if root else file["path"]
        seen: Counter[tuple[str, str]] = Counter()
        for f in file["findings"]:
            key = (f["rule"], " ".join(f["excerpt"].split()))
            seen[key] += 1
            issues.append(
                {
                    "type": "issue",
                    "check_name": f"{f['rule']} {f['name']}",
                    "description": f["message"] + (f" Fix: {f['fix']}" if f["fix"] else ""),
                    "categories": ["Duplication" if f["category"] == "copy_paste" else "Clarity"],
                    "severity": _CODE_QUALITY_SEVERITY[f["severity"]],
                    "fingerprint": hashlib.md5(
                        f"{path}\0{_fingerprint(f['rule'], f['excerpt'], seen[key])}".encode(),
                        usedforsecurity=False,
                    ).hexdigest(),
                    "location": {
                        "path": path,
                        "lines": {"begin": max(1, f["line"]), "end": max(1, f["end_line"])},
                    },
                }
            )
    return _json_text(issues, indent=2, ensure_ascii=False) + "\n"


REPORTERS: dict[str, Reporter] = {
    "text": report_text,
    "json": report_json,
    "sarif": report_sarif,
    "github": report_github,
    "codeclimate": report_codeclimate,
}

#: Reporters that write the report as they go, given the record without its files, the
#: files' records one by one, and where to write: the same text as the reporter of the same
#: name. A folder's report is then never held whole (10,000 documents: 34 MB of JSON).
Writer = Callable[[Record, Iterable[Record], Callable[[str], object]], None]
WRITERS: dict[str, Writer] = {"text": write_text, "json": write_json}


# --- the rule catalogue -------------------------------------------------------------------

_PART = lazy(r"^(Why|Bad|Good):", re.MULTILINE)


def docstring_parts(rule: Rule | CorpusRule) -> dict[str, str]:
    """The four parts of a rule's docstring: what, why, bad, good (missing parts absent)."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    parts: dict[str, str] = {}
    pieces = _PART.split(doc)
    what = pieces[0].strip()
    if what:
        parts["what"] = what
    for label, body in zip(pieces[1::2], pieces[2::2], strict=False):
        text = inspect.cleandoc(body.strip("\n")) if body.strip() else ""
        if text:
            parts[label.lower()] = text
    return parts


def rules_records(rules: Sequence[Rule | CorpusRule] = REGISTRY) -> list[Record]:
    return [
        {
            "code": rule.code,
            "name": rule.name,
            "category": rule.category,
            "severity": rule.severity.value,
            "scope": "folder" if isinstance(rule, CorpusRule) else "file",
            "summary": rule.summary,
        }
        for rule in rules
    ]


def rules_text(rules: Sequence[Rule | CorpusRule] = REGISTRY) -> str:
    lines = [
        f"{r['code']}  {r['name']:<32} {r['category']:<20} {r['severity']:<8} {r['summary']}"
        for r in rules_records(rules)
    ]
    return "\n".join(lines) + "\n"


def rules_json(rules: Sequence[Rule | CorpusRule] = REGISTRY) -> str:
    return _json_text(rules_records(rules), indent=2) + "\n"


def rules_markdown(rules: Sequence[Rule | CorpusRule] = REGISTRY) -> str:
    """docs/rules.md, generated from the registry: never written twice."""
    out = [
        "# Lint rules",
        "",
        "<!-- Generated by `followthrough rules --format markdown`; do not edit by hand. -->",
        "",
        "Every rule has a code, a name and a category; select or ignore rules by any of them",
        '(`--select PM2`, `--ignore blame.hindsight-language`, `severity = { timeline_analysis = "info" }`',
        "in `[tool.followthrough.lint]`), or silence one finding with",
        "`<!-- followthrough: disable=PM201 -->` on the line before it.",
        "",
        "| code | name | category | severity | scope | summary |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rules_records(rules):
        anchor = r["code"].lower()
        out.append(
            f"| [{r['code']}](#{anchor}) | `{r['name']}` | {r['category']} | {r['severity']} "
            f"| {r['scope']} | {r['summary'].replace('|', '/')} |"
        )
    for rule in rules:
        parts = docstring_parts(rule)
        out += [
            "",
            f"## {rule.code}",
            "",
            f"`{rule.name}`: category `{rule.category}`, default severity `{rule.severity.value}`"
            f"{', folder-level' if isinstance(rule, CorpusRule) else ''}.",
            "",
            " ".join(parts.get("what", "").split()),
            "",
            "**Why.** " + " ".join(parts.get("why", "").split()),
            "",
            "Bad:",
            "",
            "```markdown",
            parts.get("bad", ""),
            "```",
            "",
            "Good:",
            "",
            "```markdown",
            parts.get("good", ""),
            "```",
        ]
    out += [
        "",
        "## Unreadable files",
        "",
        "A file that is not UTF-8 text, is empty, too large or cannot be opened is reported as",
        "`PM000 input.unreadable` in SARIF and under `errors` in JSON (one line on stderr in the",
        "other formats), and the exit status is 2. Nothing in it was checked.",
    ]
    return "\n".join(out) + "\n"


RULE_FORMATS: dict[str, Callable[[], str]] = {
    "text": rules_text,
    "json": rules_json,
    "markdown": rules_markdown,
}

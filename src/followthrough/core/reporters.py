"""Reporters: functions in a dict, each fed the one JSON record of a lint report
(``LintReport.to_record()``, built from ``Finding.to_record()``) and returning text.

Adding a format is adding a function to :data:`REPORTERS`; nothing else changes.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from followthrough import __version__
from followthrough.core.rules import REGISTRY
from followthrough.core.rules.base import CorpusRule, Rule

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
    for file in record["files"]:
        findings = file["findings"]
        if not findings:
            continue
        out.append(file["path"])
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
    out.append(summary_line(record["summary"]))
    return "\n".join(out) + "\n"


def report_json(record: Record) -> str:
    """DESIGN.md's contract, exactly: {"files": [{"path", "findings"}], "summary"}."""
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def _rule_description(rule: Rule | CorpusRule) -> str:
    doc = inspect.cleandoc(rule.__doc__ or "")
    return " ".join(doc.split("\n\n", 1)[0].split())


def report_sarif(record: Record) -> str:
    """SARIF 2.1.0, as GitHub code scanning and most CI dashboards read it."""
    rules = list(REGISTRY)
    index = {rule.code: i for i, rule in enumerate(rules)}
    driver = {
        "name": "followthrough",
        "version": __version__,
        "informationUri": "https://github.com/followthrough/followthrough",
        "rules": [
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": _rule_description(rule)},
                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity.value]},
                "properties": {"category": rule.category, "tags": [rule.category]},
            }
            for rule in rules
        ],
    }
    results = []
    for file in record["files"]:
        uri = quote(file["path"].replace("\\", "/"), safe="/:._-~")
        for f in file["findings"]:
            result: Record = {
                "ruleId": f["rule"],
                "level": _SARIF_LEVEL[f["severity"]],
                "message": {"text": f["message"] + (f" Fix: {f['fix']}" if f["fix"] else "")},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": {
                                "startLine": max(1, f["line"]),
                                "endLine": max(1, f["end_line"], f["line"]),
                                "snippet": {"text": f["excerpt"]},
                            },
                        }
                    }
                ],
                "properties": {"category": f["category"], "name": f["name"]},
            }
            if f["rule"] in index:
                result["ruleIndex"] = index[f["rule"]]
            if f["related"]:
                result["relatedLocations"] = [
                    {
                        "id": n,
                        "message": {"text": f"similarity {r['score']:.2f}"},
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": quote(r["path"].replace("\\", "/"), safe="/:._-~")
                            },
                            **({"region": {"startLine": r["line"]}} if r["line"] else {}),
                        },
                    }
                    for n, r in enumerate(f["related"])
                ]
            results.append(result)
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": driver}, "results": results, "columnKind": "unicodeCodePoints"}
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


def escape_github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_github_property(text: str) -> str:
    return escape_github_data(text).replace(":", "%3A").replace(",", "%2C")


def report_github(record: Record) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    out: list[str] = []
    for file in record["files"]:
        path = escape_github_property(file["path"])
        for f in file["findings"]:
            title = escape_github_property(f"{f['rule']} {f['name']}")
            message = f["message"] + (f" Fix: {f['fix']}" if f["fix"] else "")
            out.append(
                f"::{_GITHUB_LEVEL[f['severity']]} file={path},line={f['line']},"
                f"endLine={max(f['end_line'], f['line'])},title={title}::{escape_github_data(message)}"
            )
    out.append(escape_github_data(summary_line(record["summary"])))
    return "\n".join(out) + "\n"


REPORTERS: dict[str, Reporter] = {
    "text": report_text,
    "json": report_json,
    "sarif": report_sarif,
    "github": report_github,
}


# --- the rule catalogue -------------------------------------------------------------------

_PART = re.compile(r"^(Why|Bad|Good):", re.MULTILINE)


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
    return json.dumps(rules_records(rules), indent=2) + "\n"


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
    return "\n".join(out) + "\n"


RULE_FORMATS: dict[str, Callable[[], str]] = {
    "text": rules_text,
    "json": rules_json,
    "markdown": rules_markdown,
}

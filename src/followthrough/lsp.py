"""``followthrough lsp``: the linter in the editor, over the Language Server Protocol (pygls).

Diagnostics are exactly what ``followthrough lint --against-parent-folders --format json``
says of the file (the same engine, the configuration found from the file, the folder
checks against the postmortems beside it), recomputed from the editor's text on every
change. Hover on a flagged line explains the rule (what, why, the fix); quick fixes remove
an unused suppression or silence one finding with a disable comment on its line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from followthrough import __version__
from followthrough.core.config import ConfigError, LintConfig, load_config
from followthrough.core.document import Document
from followthrough.core.lint import MARKDOWN_SUFFIXES, Finding, lint_corpus, lint_document
from followthrough.core.markdown import DocumentReadError, parse, read_file
from followthrough.core.reporters import RULES_URI, docstring_parts
from followthrough.core.rules import BY_CODE

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
_UNUSED_SUPPRESSION = "PM790"


def path_of(uri: str) -> str | None:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def uri_of(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri()


@dataclass
class _Neighbour:
    mtime: float
    doc: Document | None


class FollowthroughServer(LanguageServer):
    """Keeps the parsed neighbours of each folder, re-read only when a file changes."""

    def __init__(self) -> None:
        super().__init__("followthrough", __version__)
        self._neighbours: dict[str, _Neighbour] = {}

    def neighbours(self, path: str) -> list[Document]:
        folder = os.path.dirname(path) or "."
        docs: list[Document] = []
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return docs
        for name in names:
            other = os.path.join(folder, name)
            if other == path or not name.lower().endswith(MARKDOWN_SUFFIXES):
                continue
            try:
                mtime = os.stat(other).st_mtime
            except OSError:
                continue
            cached = self._neighbours.get(other)
            if cached is None or cached.mtime != mtime:
                try:
                    parsed: Document | None = read_file(other)
                except DocumentReadError:
                    parsed = None
                cached = self._neighbours[other] = _Neighbour(mtime, parsed)
            if cached.doc is not None:
                docs.append(cached.doc)
        return docs

    def findings(self, uri: str, text: str) -> list[Finding]:
        path = path_of(uri)
        config = _config_for(path)
        if path is None:
            return lint_document(parse(text, uri), config)
        doc = parse(text, path)
        if not config.corpus:
            return lint_document(doc, config)
        return lint_corpus([doc, *self.neighbours(path)], config, report={path}).get(path, [])


def _config_for(path: str | None) -> LintConfig:
    if path is None:
        return LintConfig()
    try:
        config, _ = load_config(start=Path(path))
    except ConfigError:
        return LintConfig()
    return config


def diagnostic(finding: Finding, lines: list[str]) -> types.Diagnostic:
    start = max(finding.line, 1) - 1
    end = max(finding.end_line, finding.line, 1) - 1
    end_text = lines[end] if end < len(lines) else ""
    message = finding.message + (f" Fix: {finding.fix}" if finding.fix else "")
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(
                uri=uri_of(other.path),
                range=types.Range(
                    start=types.Position(line=max((other.line or 1) - 1, 0), character=0),
                    end=types.Position(line=max((other.line or 1) - 1, 0), character=0),
                ),
            ),
            message=f"similarity {other.score:.2f}",
        )
        for other in finding.related
    ]
    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=start, character=0),
            end=types.Position(line=end, character=len(end_text)),
        ),
        message=message,
        severity=_SEVERITY[finding.severity.value],
        code=finding.rule,
        code_description=types.CodeDescription(href=f"{RULES_URI}#{finding.rule.lower()}"),
        source="followthrough",
        related_information=related or None,
        data={"rule": finding.rule, "line": finding.line, "end_line": finding.end_line},
    )


def hover_text(code: str, message: str) -> str:
    rule = BY_CODE.get(code)
    if rule is None:
        return message
    parts = docstring_parts(rule)
    text = [f"**{rule.code} `{rule.name}`** ({rule.category}): {message}"]
    if parts.get("what"):
        text.append(" ".join(parts["what"].split()))
    if parts.get("why"):
        text.append("**Why.** " + " ".join(parts["why"].split()))
    if parts.get("good"):
        text.append("Good:\n\n```markdown\n" + parts["good"] + "\n```")
    return "\n\n".join(text)


def disable_edit(line_text: str, line: int, code: str) -> types.TextEdit:
    """A disable comment on the flagged line itself: inside a table's last cell, else at the
    end of the line (a comment on a line of its own would silence the next line)."""
    comment = f"<!-- followthrough: disable={code} -->"
    stripped = line_text.rstrip()
    if stripped.endswith("|") and stripped.lstrip().startswith("|"):
        at = len(stripped) - 1
        new_text = f"{comment} "
    else:
        at = len(stripped)
        new_text = f" {comment}"
    position = types.Position(line=line, character=at)
    return types.TextEdit(range=types.Range(start=position, end=position), new_text=new_text)


def remove_suppression_edit(line_text: str, line: int) -> types.TextEdit:
    start = line_text.find("<!--")
    end = line_text.find("-->", start)
    if start < 0 or end < 0:
        end_of_line = types.Position(line=line, character=len(line_text))
        return types.TextEdit(range=types.Range(start=end_of_line, end=end_of_line), new_text="")
    end += 3
    if not (line_text[:start] + line_text[end:]).strip():  # the comment is the whole line
        return types.TextEdit(
            range=types.Range(
                start=types.Position(line=line, character=0),
                end=types.Position(line=line + 1, character=0),
            ),
            new_text="",
        )
    while start > 0 and line_text[start - 1] == " ":
        start -= 1
    return types.TextEdit(
        range=types.Range(
            start=types.Position(line=line, character=start),
            end=types.Position(line=line, character=end),
        ),
        new_text="",
    )


def build_server() -> FollowthroughServer:
    server = FollowthroughServer()

    def publish(ls: FollowthroughServer, uri: str) -> None:
        document = ls.workspace.get_text_document(uri)
        lines = document.source.splitlines()
        found = ls.findings(uri, document.source)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                version=document.version,
                diagnostics=[diagnostic(f, lines) for f in found],
            )
        )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FollowthroughServer, params: types.DidOpenTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FollowthroughServer, params: types.DidChangeTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FollowthroughServer, params: types.DidSaveTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FollowthroughServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: FollowthroughServer, params: types.HoverParams) -> types.Hover | None:
        document = ls.workspace.get_text_document(params.text_document.uri)
        line = params.position.line + 1
        found = [
            f
            for f in ls.findings(params.text_document.uri, document.source)
            if f.line <= line <= max(f.end_line, f.line)
        ]
        if not found:
            return None
        text = "\n\n---\n\n".join(hover_text(f.rule, f.message) for f in found)
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(
        ls: FollowthroughServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        uri = params.text_document.uri
        lines = ls.workspace.get_text_document(uri).source.splitlines()
        actions: list[types.CodeAction] = []
        for diag in params.context.diagnostics:
            if diag.source != "followthrough" or not isinstance(diag.code, str):
                continue
            line = diag.range.start.line
            text = lines[line] if line < len(lines) else ""
            if diag.code == _UNUSED_SUPPRESSION:
                edit, title = remove_suppression_edit(text, line), "Remove the unused suppression"
            else:
                edit, title = disable_edit(text, line, diag.code), f"Disable {diag.code} here"
            actions.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    is_preferred=diag.code == _UNUSED_SUPPRESSION,
                    edit=types.WorkspaceEdit(changes={uri: [edit]}),
                )
            )
        return actions

    return server


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    build_server().start_io()

"""`followthrough lsp` driven by a real LSP client (pygls') over stdio, as an editor would.

The diagnostics equal `followthrough lint --format json`, hover explains the rule, and a
quick fix applied by the client makes its finding go away.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from followthrough.cli import main

POSTMORTEM = """\
# Checkout errors

## Summary
Checkout returned errors for 47 minutes; 1,240 orders failed.

## Action items
- Improve monitoring
- Add an alert on pool utilisation above 80% for 2 minutes (@alice, 2026-03-18) <!-- followthrough: disable=PM101 -->
"""


class Editor:
    """A language client that remembers the last diagnostics published per document."""

    def __init__(self) -> None:
        self.client = LanguageClient("test-editor", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.published = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = params.diagnostics
            self.published.set()

    async def start(self, root: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        await self.client.start_io(
            sys.executable, "-c", "from followthrough.cli import main; main()", "lsp", env=env
        )
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="pm")],
            )
        )
        self.client.initialized(types.InitializedParams())

    async def wait(self) -> None:
        await asyncio.wait_for(self.published.wait(), timeout=30)
        self.published.clear()

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def lint_json(path: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["lint", str(path), "--format", "json"])
    return json.loads(result.stdout)["files"][0]["findings"]  # type: ignore[no-any-return]


def apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def at(position: types.Position) -> int:
        return offsets[min(position.line, len(lines))] + position.character

    for edit in sorted(edits, key=lambda e: at(e.range.start), reverse=True):
        text = text[: at(edit.range.start)] + edit.new_text + text[at(edit.range.end) :]
    return text


def test_the_language_server_gives_the_linters_findings_hover_and_quick_fixes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "checkout.md"
    path.write_text(POSTMORTEM, encoding="utf-8")
    expected = lint_json(path)
    assert {f["rule"] for f in expected} >= {"PM201", "PM203", "PM790"}

    async def session() -> None:
        editor = Editor()
        await editor.start(tmp_path)
        uri = path.as_uri()
        try:
            editor.client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=uri, language_id="markdown", version=1, text=POSTMORTEM
                    )
                )
            )
            await editor.wait()
            got = editor.diagnostics[uri]
            assert sorted((d.code, d.range.start.line + 1, d.message) for d in got) == sorted(
                (f["rule"], f["line"], f["message"] + (f" Fix: {f['fix']}" if f["fix"] else ""))
                for f in expected
            )
            assert all(d.source == "followthrough" for d in got)

            vague = next(d for d in got if d.code == "PM203")
            hover = await editor.client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=vague.range.start,
                )
            )
            assert hover is not None and "Why." in hover.contents.value  # type: ignore[union-attr]

            unused = next(d for d in got if d.code == "PM790")
            actions = await editor.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=unused.range,
                    context=types.CodeActionContext(diagnostics=[unused]),
                )
            )
            assert actions and actions[0].title == "Remove the unused suppression"
            fixed = apply(POSTMORTEM, actions[0].edit.changes[uri])  # type: ignore[union-attr,index]
            assert "disable=PM101" not in fixed and "(@alice, 2026-03-18)" in fixed
            editor.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)],
                )
            )
            await editor.wait()
            assert "PM790" not in {d.code for d in editor.diagnostics[uri]}

            unowned = next(d for d in editor.diagnostics[uri] if d.code == "PM201")
            actions = await editor.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=unowned.range,
                    context=types.CodeActionContext(diagnostics=[unowned]),
                )
            )
            silenced = apply(fixed, actions[0].edit.changes[uri])  # type: ignore[index,union-attr]
            editor.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=silenced)],
                )
            )
            await editor.wait()
            lines = [d.range.start.line for d in editor.diagnostics[uri] if d.code == "PM201"]
            assert unowned.range.start.line not in lines
        finally:
            await editor.stop()

    asyncio.run(session())

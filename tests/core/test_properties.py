"""Any text in, a result out, never an exception: the parser and the linter under hypothesis.

Two kinds of input: arbitrary text (any Unicode, control characters, CRLF, NUL), and
Markdown built from the pieces postmortems are made of (headings, bullets, tables, timeline
rows, five-whys, front matter, suppressions), so the parser's deeper paths are reached too.
Bounded by ``max_examples`` so the whole file runs in well under half a minute.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followthrough.core.document import Document
from followthrough.core.lint import lint_corpus, lint_text
from followthrough.core.markdown import parse, to_record
from followthrough.core.reading import encodable
from followthrough.core.rules.base import CATEGORIES, Finding, Severity
from followthrough.core.writing import to_markdown

BOUNDED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

# Characters Markdown and the parser care about, so arbitrary text is not only letters.
MARKUP = "#-*_|:`>[]()!<>/=~+.0123456789 \t\n\r\x00\u00a0\u200b\ufeffxyzPWT"
any_text = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.sampled_from(MARKUP), max_size=400),
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Z", "Cc"]),
        max_size=300,
    ),
    # lone UTF-16 halves among words: no file holds one, but an editor's or the API's JSON can
    st.text(alphabet=st.sampled_from("ab .\n#-\u00e9\ud800\udcff\udfff"), max_size=200),
)

words = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789-,.'é漢"),
    min_size=0,
    max_size=40,
)
HEADINGS = [
    "Summary",
    "Impact",
    "Timeline",
    "Timeline (UTC)",
    "Root cause",
    "Root Cause(s)",
    "5 Whys",
    "Contributing factors",
    "Action items",
    "Next steps",
    "Lessons learned",
    "Where did we get lucky",
    "Detection",
    "Resolution",
    "People",
    "Appendix",
    "Trigger",
]
OWNERS = ["@alice", "Alice Smith", "alice@example.com", "SRE team", "TBD", "-", ""]
DUES = ["2026-03-18", "Mar 20", "4 April 2026", "next sprint", "ASAP", "TBD", "2026-02-30", ""]
TIMES = ["14:02", "14:02 UTC", "2:02 PM", "2026-03-02 14:02", "2026-03-02T14:02:00Z", "25:61", ""]


@st.composite
def heading(draw: Any) -> str:
    level = draw(st.integers(min_value=1, max_value=6))
    name = draw(st.one_of(st.sampled_from(HEADINGS), words))
    decoration = draw(st.sampled_from(["", "1. ", "III. ", "🔥 ", "**"]))
    return f"{'#' * level} {decoration}{name}{':' if draw(st.booleans()) else ''}"


@st.composite
def bullet(draw: Any) -> str:
    box = draw(st.sampled_from(["", "[ ] ", "[x] "]))
    marker = draw(st.sampled_from(["-", "*", "1.", "+"]))
    text = draw(words)
    owner, due = draw(st.sampled_from(OWNERS)), draw(st.sampled_from(DUES))
    extra = draw(st.sampled_from(["", f" ({owner}, due {due})", f" — owner: {owner}", " SEC-42"]))
    return f"{marker} {box}{text}{extra}"


@st.composite
def table(draw: Any) -> list[str]:
    columns = draw(
        st.lists(
            st.sampled_from(
                ["Action", "Owner", "Due", "Time", "Event", "Type", "Status", "Ticket", "Done when"]
            )
            | words,
            min_size=1,
            max_size=5,
        )
    )
    rows = draw(
        st.lists(
            st.lists(
                st.sampled_from(OWNERS + DUES + TIMES) | words,
                min_size=0,
                max_size=len(columns) + 1,
            ),
            max_size=4,
        )
    )
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


@st.composite
def timeline_row(draw: Any) -> str:
    time_text, text = draw(st.sampled_from(TIMES)), draw(words)
    shape = draw(st.sampled_from(["- {t} {x}", "- **{t}** — {x}", "{t}: {x}", "* {t} - {x}"]))
    return shape.format(t=time_text, x=text)


@st.composite
def why(draw: Any) -> str:
    n = draw(st.integers(min_value=0, max_value=7))
    return f"{n}. Why {draw(words)}? {draw(st.sampled_from(['Because ', '', '→ ']))}{draw(words)}"


@st.composite
def postmortem_markdown(draw: Any) -> str:
    lines: list[str] = []
    if draw(st.booleans()):
        lines += ["---", f"title: {draw(words)}", f"date: {draw(st.sampled_from(DUES))}"]
        lines += [f"severity: {draw(st.sampled_from(['P0', 'P1', 'SEV2', 'p9', '']))}", "---"]
    lines.append(f"# {draw(words)}")
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        lines += ["", draw(heading()), ""]
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            piece = draw(
                st.one_of(
                    bullet(),
                    timeline_row(),
                    why(),
                    words,
                    st.just("<!-- followthrough: disable=PM201 -->"),
                    st.just("**Root cause:** the deploy script skipped the canary"),
                    st.just("```"),
                    table().map("\n".join),
                )
            )
            lines.append(piece)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines)


def assert_a_document(doc: Document, text: str) -> None:
    assert isinstance(doc, Document)
    assert doc.text == encodable(text)
    json.dumps(to_record(doc), default=str)  # the record is always serialisable


def assert_findings(found: list[Finding]) -> None:
    for finding in found:
        assert isinstance(finding, Finding)
        assert finding.category in CATEGORIES
        assert isinstance(finding.severity, Severity)
        assert 0 <= finding.line <= finding.end_line
        json.dumps(finding.to_record())


def test_a_lone_surrogate_is_read_as_the_replacement_character_and_linted() -> None:
    text = "# Checkout errors\n\n## Summary\nBob broke prod \udcff for 47 minutes.\n"
    doc = parse(text)
    assert doc.text == text.replace("\udcff", "\ufffd")
    assert doc.text.encode()  # every rule may encode what it reads
    assert_findings(lint_text(text))


def test_text_that_encodes_is_read_as_it_is() -> None:
    for text in ("plain", "Caf\u00e9 \u2014 \U0001f525"):
        assert encodable(text) is text


@BOUNDED
@given(any_text)
def test_any_text_parses_into_a_document(text: str) -> None:
    assert_a_document(parse(text), text)


@BOUNDED
@given(st.one_of(any_text, postmortem_markdown()))
def test_the_markdown_written_from_any_parsed_text_parses_again(text: str) -> None:
    written = to_markdown(parse(text))
    assert written.endswith("\n")
    again = parse(written)
    assert_a_document(again, written)
    # What was understood survives the trip: writing the re-parsed document changes nothing.
    assert to_markdown(again) == written


@BOUNDED
@given(postmortem_markdown())
def test_any_postmortem_shaped_markdown_parses_into_a_document(text: str) -> None:
    assert_a_document(parse(text), text)


@BOUNDED
@given(st.one_of(any_text, postmortem_markdown()))
def test_the_linter_reports_findings_for_any_text_and_never_raises(text: str) -> None:
    assert_findings(lint_text(text))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.lists(st.one_of(postmortem_markdown(), any_text), min_size=1, max_size=4))
def test_the_folder_linter_reports_on_every_document_of_a_random_folder(texts: list[str]) -> None:
    docs = [parse(text, f"pm-{i}.md") for i, text in enumerate(texts)]
    by_path = lint_corpus(docs)
    assert set(by_path) == {doc.path for doc in docs}
    for found in by_path.values():
        assert_findings(found)

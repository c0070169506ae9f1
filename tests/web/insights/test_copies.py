"""Copy-paste postmortems: "'Improve monitoring' appears in every postmortem, but nothing
changes." (seed, Anti-Patterns)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import API, ok

if TYPE_CHECKING:
    from conftest import Cast

PASTED = (
    "Add more dashboards and review the alert thresholds for the checkout API "
    "every quarter so that we notice problems earlier."
)


def _with_text(cast: Cast, title: str, lessons: str, **fields: object) -> Postmortem:
    incident = cast.incident(title=title, **fields)
    postmortem = start_postmortem(incident, cast.alice)
    Postmortem.objects.filter(pk=postmortem.pk).update(lessons=lessons)
    postmortem.refresh_from_db()
    return postmortem


def test_a_passage_copied_from_an_earlier_postmortem_is_pointed_out(cast: Cast) -> None:
    earlier = _with_text(
        cast,
        "Checkout 502 in January",
        f"The pool alert worked. {PASTED}",
        failure_mode="upstream gateway timeouts",
    )
    ActionItem.objects.create(postmortem=earlier, title=PASTED, owner=cast.ivan)
    unrelated = _with_text(
        cast, "Search outage", "Index builds belong outside peak hours, with a size check first."
    )
    later = _with_text(cast, "Ledger export late", PASTED, failure_mode="export job stuck")
    found = ok(cast.api("bob").get(f"{API}/postmortems/{later.pk}/copied-passages"))["items"]
    assert found, "the pasted lessons should be found"
    passage = found[0]
    assert passage["panel"] == "lessons"
    assert "Add more dashboards" in passage["excerpt"]
    sources = {s["postmortem_id"] for s in passage["sources"]}
    assert earlier.pk in sources and unrelated.pk not in sources
    assert all(0 < s["score"] <= 1 for s in passage["sources"])
    assert passage["line"] >= 1


def test_an_original_postmortem_has_no_copied_passages(cast: Cast) -> None:
    _with_text(cast, "Checkout 502 in January", PASTED)
    fresh = _with_text(
        cast, "Ledger export late", "The export job waited on a lock held by the nightly vacuum."
    )
    assert ok(cast.api("bob").get(f"{API}/postmortems/{fresh.pk}/copied-passages"))["items"] == []


def test_copies_from_a_private_team_are_not_shown_to_outsiders(cast: Cast) -> None:
    _with_text(
        cast,
        "Ledger export late",
        PASTED,
        team=cast.security,
        commander=None,
        failure_mode="export job stuck on a lock",
    )
    later = _with_text(cast, "Ledger export late again", PASTED, failure_mode="export job stuck")
    assert ok(cast.api("bob").get(f"{API}/postmortems/{later.pk}/copied-passages"))["items"] == []
    assert ok(cast.api("admin").get(f"{API}/postmortems/{later.pk}/copied-passages"))["items"]


def test_the_editor_panel_lists_copied_passages(cast: Cast) -> None:
    earlier = _with_text(cast, "Checkout 502 in January", PASTED)
    later = _with_text(cast, "Ledger export late", PASTED)
    browser = cast.browser(cast.bob)
    panel = browser.get(
        f"/incidents/{later.incident_id}/postmortem/copied/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="copied-passages"' in panel and "<html" not in panel
    assert earlier.incident.key in panel and "Add more dashboards" in panel
    page = browser.get(f"/incidents/{later.incident_id}/postmortem/copied/")
    assert page.status_code == 200 and "<html" in page.content.decode()
    secret = _with_text(cast, "Secret thing", PASTED, team=cast.security, commander=None)
    assert (
        cast.browser(cast.charlie)
        .get(f"/incidents/{secret.incident_id}/postmortem/copied/")
        .status_code
        == 404
    )

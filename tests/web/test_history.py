"""The history is append-only and says who changed what, from what, to what."""

from __future__ import annotations

import pytest

from conftest import Cast
from followthrough.web.history.models import Change
from followthrough.web.history.recording import history_of, record, snapshot

pytestmark = pytest.mark.django_db


def test_a_change_records_who_and_the_fields_before_and_after(cast: Cast) -> None:
    incident = cast.incident(severity="P2")
    before = snapshot(incident)
    incident.severity = "P1"
    incident.save()
    change = record(incident, Change.Action.UPDATE, cast.alice, before=before)
    assert change is not None
    assert change.who == "alice"
    assert change.changed_fields() == {"severity": ("P2", "P1")}
    assert list(history_of(incident)) == [change]


def test_an_update_that_changed_nothing_is_not_recorded(cast: Cast) -> None:
    incident = cast.incident()
    assert record(incident, Change.Action.UPDATE, cast.alice, before=snapshot(incident)) is None


def test_recorded_history_cannot_be_edited_or_deleted(cast: Cast) -> None:
    incident = cast.incident()
    change = record(incident, Change.Action.CREATE, None, actor_label="pagerduty webhook")
    assert change is not None and change.who == "pagerduty webhook"
    change.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        change.save()
    with pytest.raises(ValueError, match="append-only"):
        change.delete()

"""The history is append-only and says who changed what, from what, to what."""

from __future__ import annotations

import pytest

from conftest import Cast
from followthrough.web.history.context import acting_as
from followthrough.web.history.models import Change
from followthrough.web.history.recording import IGNORED, history_of, record, snapshot

pytestmark = pytest.mark.django_db


def test_saving_an_incident_records_who_and_the_fields_before_and_after(cast: Cast) -> None:
    incident = cast.incident(severity="P2")
    incident.severity = "P1"
    with acting_as(user=cast.alice):
        incident.save()
    change = history_of(incident).first()
    assert change is not None and change.action == Change.Action.UPDATE
    assert change.who == "alice"
    assert change.changed_fields() == {"severity": ("P2", "P1")}
    assert (change.team_id, change.incident_id) == (cast.payments.pk, incident.pk)


def test_a_save_that_changed_nothing_is_not_recorded(cast: Cast) -> None:
    incident = cast.incident()
    count = history_of(incident).count()
    incident.save()
    assert history_of(incident).count() == count
    assert record(incident, Change.Action.UPDATE, cast.alice, before=snapshot(incident)) is None


def test_history_rows_cannot_be_edited_or_deleted(cast: Cast) -> None:
    incident = cast.incident()
    change = record(incident, Change.Action.CREATE, None, actor_label="pagerduty webhook")
    assert change is not None and change.who == "pagerduty webhook"
    change.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        change.save()
    with pytest.raises(ValueError, match="append-only"):
        change.delete()
    assert Change.objects.get(pk=change.pk).note == ""


def test_soft_delete_fields_are_not_an_update_of_their_own() -> None:
    assert {"deleted_at", "deleted_by"} <= IGNORED

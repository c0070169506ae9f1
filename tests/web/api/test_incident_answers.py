"""Every incident answer (the list, the detail, a POST's, a PATCH's and a stale PATCH's
"current") is read with prepared SQL and written without the schema
(``incidents.schemas.IncidentAnswers``): every answer is still IncidentOut's read from the
model, byte for byte, for every reader, and nobody reads an incident of a team they cannot
see."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.test import RequestFactory

from followthrough.web.accounts.models import Person
from followthrough.web.actions.models import ActionItem
from followthrough.web.api.schemas import RENDERER, request_now
from followthrough.web.incidents.models import Incident, Source
from followthrough.web.incidents.schemas import IncidentOut, PolicyOut
from followthrough.web.lib.prepared import NotPreparable, Var, prepare
from followthrough.web.postmortems.models import Postmortem, incident_is_overdue
from followthrough.web.postmortems.operations import start_postmortem
from followthrough.web.visibility import incident_q, may_see_incident

from .conftest import API, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
READERS = ("admin", "alice", "vera", "charlie", "dana")
LISTS = ("", "?overdue=true", "?overdue=false", "?status=none", "?q=502", "?q=%25", "?limit=2")


@pytest.fixture
def varied(cast: Cast) -> list[Incident]:
    """Incidents of every kind an answer shows: a private team's security incident that a
    Payments incident repeats (hidden from Payments), an imported one with tags, one with a
    postmortem and a late action item, one with two responders, a deleted earlier one."""
    breach = cast.incident(cast.security, title="Token leaked", security=True, commander=None)
    repeat = cast.incident(title="502 again", repeat_of=breach, severity="P0")
    imported = cast.incident(
        title="Imported 502",
        source=Source.IMPORT,
        external_id="rootly:R-17",
        source_url="https://rootly.example/R-17",
        failure_tags=["database", "pool"],
        resolved_at=None,
    )
    gone = cast.incident(title="Deleted earlier")
    follows_gone = cast.incident(title="Repeats a deleted one", repeat_of=gone)
    gone.deleted_at = NOW - timedelta(days=1)
    gone.save()
    late = cast.incident(title="Late fix", severity="P0")
    postmortem = start_postmortem(late, cast.alice)
    ActionItem.objects.create(
        postmortem=postmortem, title="Add the index", owner=cast.frank, due_date=date(2026, 3, 1)
    )
    repeat.responders.add(cast.frank)
    return [breach, repeat, imported, follows_gone, late]


class IncidentFromModel(IncidentOut):
    """The reference: IncidentOut validated from the model instance, each computed field
    resolved in Python (overdue by the in-memory rule, the earlier incident by
    ``may_see_incident``), as the API answered before its prepared read."""

    @staticmethod
    def resolve_source_label(obj: Incident) -> str:
        return obj.origin

    @staticmethod
    def resolve_policy(obj: Incident) -> PolicyOut:
        return PolicyOut(decision=obj.policy_decision, reasons=obj.policy_reasons)

    @staticmethod
    def resolve_postmortem(obj: Incident) -> Postmortem | None:
        return getattr(obj, "postmortem", None)

    @staticmethod
    def resolve_repeat_of_id(obj: Incident, context: Any) -> int | None:
        earlier = obj.repeat_of
        if earlier is None or earlier.deleted_at is not None:
            return None
        return earlier.pk if may_see_incident(context["request"].user, earlier) else None

    @staticmethod
    def resolve_overdue(obj: Incident, context: Any) -> bool:
        return incident_is_overdue(obj, request_now(context["request"]))


def _reference(user: User, incident: Incident) -> IncidentFromModel:
    request = RequestFactory().get("/")
    request.user = user
    responders = Person.objects.order_by("name", "pk")
    row = (
        Incident.objects.select_related("commander", "repeat_of__team", "postmortem")
        .prefetch_related(Prefetch("responders", queryset=responders))
        .get(pk=incident.pk)
    )
    return IncidentFromModel.model_validate(row, context={"request": request})


def _expected(user: User, incident: Incident) -> dict[str, Any]:
    """The answer IncidentOut gives for ``incident`` read by ``user``."""
    return _reference(user, incident).model_dump()


def _body(data: Any) -> bytes:
    return RENDERER.render(None, data, response_status=200).encode()  # type: ignore[arg-type]


def test_every_reader_gets_the_schemas_answer_for_every_incident_and_list(
    cast: Cast, varied: list[Incident]
) -> None:
    with time_machine.travel(NOW, tick=False):
        for name in READERS:
            user = getattr(cast, name)
            client = cast.api(name)
            readable = set(Incident.objects.filter(incident_q(user)).values_list("pk", flat=True))
            for incident in Incident.all_objects.all():
                response = client.get(f"{API}/incidents/{incident.pk}")
                if incident.pk not in readable:
                    assert response.status_code == 404, (name, incident.title)
                    continue
                assert response.content == _body(_expected(user, incident)), (name, incident)
            whole = ok(client.get(f"{API}/incidents?limit=200"))
            newest_first = Incident.objects.filter(pk__in=readable).order_by("-started_at", "-pk")
            assert [i["id"] for i in whole["items"]] == [i.pk for i in newest_first], name
            for query in LISTS:
                page = ok(client.get(f"{API}/incidents{query}"))
                for item in page["items"]:
                    assert item["id"] in readable, (name, query)
                    assert item == ok(client.get(f"{API}/incidents/{item['id']}")), (name, query)


WRITERS = ("admin", "alice")
#: a moment with microseconds: the answers cut them to milliseconds, a 409's "current" keeps
#: them
PRECISE_NOW = datetime(2026, 3, 20, 9, 30, 0, 123456, tzinfo=UTC)


def test_a_created_incident_is_answered_byte_for_byte_as_its_get_answers_it(cast: Cast) -> None:
    with time_machine.travel(PRECISE_NOW, tick=False):
        for name in WRITERS:
            client = cast.api(name)
            created = client.post_json(
                f"{API}/incidents",
                {
                    "team_id": cast.payments.pk,
                    "title": f"Written by {name}",
                    "severity": "P1",
                    "started_at": "2026-03-19T10:00:00.654321Z",
                    "commander_id": cast.ivan.pk,
                    "responder_ids": [cast.rita.pk, cast.frank.pk],
                    "failure_tags": ["db"],
                    "external_id": f"ext-{name}",
                },
            )
            assert created.status_code == 201, created.content
            incident = Incident.objects.get(external_id=f"ext-{name}")
            read = client.get(f"{API}/incidents/{incident.pk}")
            assert created.content == read.content, name
            assert (
                created["Content-Type"] == read["Content-Type"] == "application/json; charset=utf-8"
            )
            assert created.content == _body(_expected(getattr(cast, name), incident)), name
            assert [p["name"] for p in created.json()["responders"]] == ["Frank Osei", "Rita Gomez"]


def test_a_patched_incident_is_answered_byte_for_byte_as_its_get_answers_it(
    cast: Cast, varied: list[Incident]
) -> None:
    """Whoever writes: a repeat of an incident hidden from alice, one with two responders
    and one whose postmortem has a late action item."""
    repeat, late = varied[1], varied[4]
    with time_machine.travel(PRECISE_NOW, tick=False):
        for name in WRITERS:
            client = cast.api(name)
            for incident in (repeat, late):
                incident.refresh_from_db()
                patched = client.patch_json(
                    f"{API}/incidents/{incident.pk}",
                    {"version": incident.version, "summary": f"Edited by {name}"},
                )
                assert patched.status_code == 200, patched.content
                read = client.get(f"{API}/incidents/{incident.pk}")
                assert patched.content == read.content, (name, incident.title)
                assert patched["Content-Type"] == read["Content-Type"]
                assert patched.content == _body(_expected(getattr(cast, name), incident))
    assert ok(cast.api("alice").get(f"{API}/incidents/{repeat.pk}"))["repeat_of_id"] is None
    assert ok(cast.api("admin").get(f"{API}/incidents/{late.pk}"))["overdue"] is True


def test_a_stale_patch_shows_the_incident_as_it_is_now_with_its_microseconds(
    cast: Cast, varied: list[Incident]
) -> None:
    """The 409's "current" is the GET's answer but for its date-times, which it has always
    written in full (pydantic's JSON form) where every other answer cuts them to ms."""
    repeat, late = varied[1], varied[4]
    with time_machine.travel(PRECISE_NOW, tick=False):
        for name in WRITERS:
            user, client = getattr(cast, name), cast.api(name)
            for incident in (repeat, late):
                incident.refresh_from_db()
                read_version = {"version": incident.version}
                ok(
                    client.patch_json(
                        f"{API}/incidents/{incident.pk}", {**read_version, "summary": name}
                    )
                )
                stale = client.patch_json(
                    f"{API}/incidents/{incident.pk}", {**read_version, "summary": "Lost"}
                )
                assert stale.status_code == 409, stale.content
                problem = stale.json()
                assert list(problem) == ["type", "title", "status", "detail", "errors", "current"]
                current = problem["current"]
                assert current == _reference(user, incident).model_dump(mode="json")
                read = ok(client.get(f"{API}/incidents/{incident.pk}"))
                assert {k: v for k, v in current.items() if not k.endswith("_at")} == {
                    k: v for k, v in read.items() if not k.endswith("_at")
                }
                assert current["updated_at"] == "2026-03-20T09:30:00.123456Z"
                assert read["updated_at"] == "2026-03-20T09:30:00.123Z"
    assert ok(cast.api("alice").get(f"{API}/incidents/{repeat.pk}"))["summary"] == "alice"


def test_the_list_and_the_detail_are_written_without_the_encoder_calling_back_into_python(
    cast: Cast, varied: list[Incident], monkeypatch: pytest.MonkeyPatch
) -> None:
    # every value of the answer is one JSON writes as it is: the date-times come as text
    def called_back(encoder: Any, value: Any) -> Any:
        raise AssertionError(f"the encoder was asked to write {value!r}")

    monkeypatch.setattr(RENDERER.encoder_class, "default", called_back)
    client = cast.api("admin")
    with time_machine.travel(NOW, tick=False):
        page = ok(client.get(f"{API}/incidents?limit=200"))
        assert len(page["items"]) == len(varied)
        for item in page["items"]:
            assert ok(client.get(f"{API}/incidents/{item['id']}")) == item


def test_responders_are_listed_by_name_and_two_of_the_same_name_by_id(cast: Cast) -> None:
    """The list, the detail and a write's answer agree on the order, ties included."""
    later_sam = Person.objects.create(name="Sam Lee", email="sam2@example.com", handle="sam2")
    earlier_sam = Person.objects.create(name="Sam Lee", email="sam1@example.com", handle="sam1")
    incident = cast.incident(title="Tied names")
    incident.responders.clear()
    # added in reverse: the database's own order would be the order they were added
    incident.responders.add(earlier_sam)
    incident.responders.add(later_sam)
    incident.responders.add(cast.frank)
    client = cast.api("alice")
    detail = ok(client.get(f"{API}/incidents/{incident.pk}"))
    expected = [
        {"id": cast.frank.pk, "name": "Frank Osei"},
        {"id": later_sam.pk, "name": "Sam Lee"},
        {"id": earlier_sam.pk, "name": "Sam Lee"},
    ]
    assert later_sam.pk < earlier_sam.pk
    assert detail["responders"] == expected
    listed = ok(client.get(f"{API}/incidents?limit=200"))["items"]
    assert next(i for i in listed if i["id"] == incident.pk) == detail
    assert _expected(cast.alice, incident)["responders"] == expected


def test_an_incident_without_responders_answers_an_empty_list(cast: Cast) -> None:
    incident = cast.incident(title="Alone")
    incident.responders.clear()
    client = cast.api("alice")
    assert ok(client.get(f"{API}/incidents/{incident.pk}"))["responders"] == []
    listed = ok(client.get(f"{API}/incidents?limit=200"))["items"]
    assert next(i for i in listed if i["id"] == incident.pk)["responders"] == []


def test_a_reader_of_a_private_team_sees_its_incidents_responders(
    cast: Cast, varied: list[Incident]
) -> None:
    breach = varied[0]
    breach.responders.set([cast.frank])
    answer = ok(cast.api("dana").get(f"{API}/incidents/{breach.pk}"))
    assert answer["responders"] == [{"id": cast.frank.pk, "name": "Frank Osei"}]
    assert cast.api("charlie").get(f"{API}/incidents/{breach.pk}").status_code == 404


def test_a_repeat_of_a_hidden_incident_leaves_the_earlier_one_unnamed(
    cast: Cast, varied: list[Incident]
) -> None:
    breach, repeat = varied[0], varied[1]
    assert ok(cast.api("alice").get(f"{API}/incidents/{repeat.pk}"))["repeat_of_id"] is None
    assert ok(cast.api("dana").get(f"{API}/incidents/{repeat.pk}"))["repeat_of_id"] == breach.pk
    assert ok(cast.api("admin").get(f"{API}/incidents/{repeat.pk}"))["repeat_of_id"] == breach.pk


def test_an_outsider_filtering_by_a_private_team_or_naming_its_incident_finds_nothing(
    cast: Cast, varied: list[Incident]
) -> None:
    breach = varied[0]
    outsider = cast.api("charlie")
    for query in (
        f"?team={cast.security.pk}",
        f"?q=INC-{breach.pk}",
        f"?q={breach.pk}",
        "?q=Token",
        f"?team={cast.security.pk}&overdue=false&status=none&severity=P1",
    ):
        assert ok(outsider.get(f"{API}/incidents{query}"))["count"] == 0, query
    assert outsider.get(f"{API}/incidents/{breach.pk}").status_code == 404


def test_search_words_with_like_wildcards_are_matched_literally(cast: Cast) -> None:
    cast.incident(title="Disk 100% full")
    cast.incident(title="Disk 1000 full")
    cast.incident(title=r"Path C:\tmp_1 missing")
    client = cast.api("alice")
    assert [i["title"] for i in ok(client.get(f"{API}/incidents?q=100%25"))["items"]] == [
        "Disk 100% full"
    ]
    assert ok(client.get(f"{API}/incidents?q=tmp_"))["count"] == 1
    assert ok(client.get(f"{API}/incidents?q=C:%5Ctmp"))["count"] == 1
    assert ok(client.get(f"{API}/incidents?q=1_0"))["count"] == 0


def test_a_key_too_large_for_an_id_searches_the_words_only(cast: Cast) -> None:
    cast.incident(title="Order 99999999999999999999 lost")
    body = ok(cast.api("alice").get(f"{API}/incidents?q=99999999999999999999"))
    assert body["count"] == 1


def test_a_shape_whose_values_cannot_be_told_from_its_constants_is_refused(db: None) -> None:
    # the sample "same" is also a constant of the query: the binding cannot tell them apart
    def build(values: Any) -> Any:
        return Incident.objects.filter(summary="same", title=values["title"]).values_list("pk")

    with pytest.raises(NotPreparable):
        prepare(build, {"title": Var(("same", "other"))})


def test_a_prepared_shape_runs_the_sql_django_compiles_for_the_values(cast: Cast) -> None:
    first, second = cast.incident(title="first"), cast.incident(title="second")

    def build(values: Any) -> Any:
        return Incident.objects.filter(pk=values["pk"]).values_list("title", "failure_tags")

    prepared = prepare(build, {"pk": Var((2_000_000_001, 2_000_000_002))})
    assert prepared.rows({"pk": second.pk}) == [["second", []]]
    assert prepared.rows({"pk": first.pk}) == [["first", []]]
    assert prepared.count({"pk": first.pk}) == 1

"""Export and import: the whole organisation out to one JSON and back with nothing lost."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from followthrough.cli import main
from followthrough.web import portability, recovery
from followthrough.web.accounts.models import (
    ApiToken,
    Invitation,
    Person,
    SsoIdentity,
    SsoRefusal,
    Team,
)
from followthrough.web.actions.models import ActionItem
from followthrough.web.assistant.models import AssistantSettings
from followthrough.web.demo import load_demo
from followthrough.web.followup.models import (
    Escalation,
    InviteCopy,
    JobRun,
    Notification,
    Preferences,
    TeamSettings,
)
from followthrough.web.followup.worker import run_tasks
from followthrough.web.history.models import Change
from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import (
    Delivery,
    IngestedIncident,
    IngestSource,
    SlackIdentity,
    SlackWorkspace,
)
from followthrough.web.insights.models import IncidentSignature, RepeatDecision
from followthrough.web.integrations.models import (
    MeetingInvite,
    TrackerAccount,
    TrackerConfig,
    TrackerLink,
    WebhookDelivery,
)
from followthrough.web.postmortems.models import Meeting, Postmortem

pytestmark = pytest.mark.django_db(transaction=True)

AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _organisation() -> tuple[str, str]:
    """The demo plus a row of every exported model the demo leaves empty.
    Returns the admin's password and a raw API token."""
    login = load_demo()
    admin = User.objects.get(username=login.username)
    group = Group.objects.create(name="auditors")
    group.permissions.add(Permission.objects.get(codename="view_user"))
    admin.groups.add(group)
    _, raw = ApiToken.issue(admin, name="ci")
    payments = Team.objects.get(slug="payments")
    ben = Person.objects.get(handle="ben")
    incidents = list(Incident.objects.order_by("pk"))
    Change.objects.create(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=str(incidents[0].pk),
        object_repr=incidents[0].title,
        action="update",
        actor=admin,
        before={"title": "old"},
        after={"title": incidents[0].title},
    )
    source = IngestSource.objects.create(
        name="PagerDuty", kind="pagerduty", team=payments, secret="s3cret", created_by=admin
    )
    IngestedIncident.objects.create(
        source=source, external_id="PD123", incident=incidents[0], last_event_at=AT
    )
    Delivery.objects.create(source=source, event_id="evt-1", incident=incidents[0])
    slack = IngestSource.objects.create(name="Slack", kind="slack", team=payments, secret="sl4ck")
    workspace = SlackWorkspace.objects.create(team_id="T0001", source=slack, bound_by=admin)
    SlackIdentity.objects.create(workspace=workspace, slack_user_id="U0BEN0001", person=ben)
    config = TrackerConfig.objects.create(
        team=payments,
        kind="jira",
        base_url="https://acme.atlassian.net",
        settings={"project_key": "PAY", "user_email": "jira-bot@acme.example"},
        api_token="tok",
    )
    TrackerAccount.objects.create(config=config, person=ben, account_id="5b10a2844c20165700ede21g")
    TrackerLink.objects.create(
        action_item=ActionItem.objects.order_by("pk").first(), kind="jira", external_key="PAY-1"
    )
    WebhookDelivery.objects.create(kind="jira", delivery_id="d-1", team=payments)
    meeting = (
        Meeting.objects.exclude(attendees=None).order_by("pk").first() or Meeting.objects.first()
    )
    assert meeting is not None
    meeting.attendees.add(ben)
    MeetingInvite.objects.create(
        meeting=meeting, uid="uid-1@followthrough", recipients=3, sequence=1
    )
    InviteCopy.objects.create(
        meeting=meeting, person=ben, email=ben.email, method="REQUEST", sequence=1, sent_for=AT
    )
    RepeatDecision.objects.create(
        incident=incidents[1], candidate=incidents[0], decision="confirmed", decided_by=admin
    )
    incidents[0].responders.add(ben)
    TeamSettings.objects.create(team=payments, review_weekday=2, slack_channel="#payments")
    Preferences.objects.create(person=ben, slack_enabled=False)
    item = ActionItem.objects.order_by("pk").first()
    Notification.objects.create(
        dedupe_key="reminder:1", kind="reminder", channel="email", subject="Due", text="Soon"
    )
    Escalation.objects.create(item=item, episode=AT, level=1, to_person=ben, reason="stalled")
    JobRun.objects.create(job="weekly-review", slot=20260302)
    AssistantSettings.objects.create(
        enabled=True,
        base_url="https://llm.acme.example",
        model="m",
        api_key="sk-1",
        updated_by=admin,
    )
    # Single sign-on never takes over an admin's account: the identity is a member's.
    member = User.objects.create_user("pat", email="pat@acme.example")
    SsoIdentity.objects.create(
        user=member, issuer="https://login.example.com", subject="00u-pat", email=member.email
    )
    SsoRefusal.objects.create(
        issuer="https://login.example.com", subject="00u-x", reason="not_invited", message="No."
    )
    Invitation.issue(ben, payments, "editor", admin)
    # Deleted rows: an incident with everything under it, and one action item alone.
    gone = Incident.objects.filter(postmortem__action_items__isnull=False).order_by("-pk")[0]
    recovery.delete(gone, admin)
    alone = ActionItem.objects.exclude(postmortem__incident=gone).order_by("-pk").first()
    assert alone is not None
    recovery.delete(alone, admin)
    return login.password, raw


def _export(tmp_path: Path, name: str) -> dict[str, Any]:
    out = tmp_path / name
    result = CliRunner().invoke(main, ["export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return document


def _flush() -> None:
    call_command("flush", "--noinput", verbosity=0)


def test_every_project_model_is_exported_or_skipped_with_a_reason() -> None:
    exported = {portability.label(m) for m in portability.exported_models()}
    for model in portability.project_models():
        name = portability.label(model)
        assert name in exported or portability.SKIPPED.get(name), f"{name} is forgotten"
    assert not exported & set(portability.SKIPPED)
    assert set(portability.SKIPPED) <= {portability.label(m) for m in portability.project_models()}


def test_a_round_trip_compares_every_field_and_loses_nothing(tmp_path: Path) -> None:
    password, raw = _organisation()
    first = _export(tmp_path, "first.json")
    empty = [name for name, rows in first["data"].items() if not rows]
    assert not empty, f"no rows to prove the round trip of {empty}"
    assert first["format"] == "followthrough-export" and first["version"] == 1

    _flush()
    result = CliRunner().invoke(main, ["import", str(tmp_path / "first.json")])
    assert result.exit_code == 0, result.output

    second = _export(tmp_path, "second.json")
    assert set(second["data"]) == set(first["data"])
    for name, rows in first["data"].items():
        assert len(second["data"][name]) == len(rows), name
        for before, after in zip(rows, second["data"][name], strict=True):
            assert after == before, name
    assert {k: v for k, v in second.items() if k != "exported_at"} == {
        k: v for k, v in first.items() if k != "exported_at"
    }

    # The admin still signs in, the API token still works, derived data is back.
    assert authenticate(username="admin", password=password) is not None
    assert ApiToken.objects.authenticate(raw) is not None
    assert IncidentSignature.objects.count() == Incident.objects.count()
    # Sequences were reset: new rows take fresh ids.
    incident = Incident.objects.create(
        team=Team.objects.get(slug="payments"), title="After import", severity="P3"
    )
    assert incident.pk > max(row["pk"] for row in first["data"]["incidents.Incident"])
    assert Person.objects.create(name="New Hire", handle="newhire").pk


def test_export_and_import_keep_deleted_rows(tmp_path: Path) -> None:
    _organisation()
    trash = [(b.batch, len(b.rows), b.deleted_by.username) for b in recovery.trash()]
    deleted = Incident.all_objects.filter(deleted_at__isnull=False).get()
    live = Incident.objects.count()
    assert len(trash) == 2 and ActionItem.all_objects.filter(deleted_at__isnull=False).count() > 1
    _export(tmp_path, "export.json")
    _flush()

    result = CliRunner().invoke(main, ["import", str(tmp_path / "export.json")])

    assert result.exit_code == 0, result.output
    assert [(b.batch, len(b.rows), b.deleted_by.username) for b in recovery.trash()] == trash
    assert Incident.objects.count() == live
    assert not Incident.objects.filter(pk=deleted.pk).exists()
    # Only live incidents are in the similarity index; a restore after import brings the
    # whole delete back, and the index with it.
    assert IncidentSignature.objects.count() == live
    batch = Incident.all_objects.get(pk=deleted.pk).deletion
    restored = recovery.restore(batch, None)
    run_tasks("test-worker")  # the index is brought back by the worker (lib.deferred)
    assert len(restored) == dict((t[0], t[1]) for t in trash)[batch] > 2
    assert Incident.objects.filter(pk=deleted.pk).exists()
    assert IncidentSignature.objects.filter(incident_id=deleted.pk).exists()


def test_markdown_export_writes_a_postmortem_per_file_and_the_json_beside(tmp_path: Path) -> None:
    load_demo()
    folder = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", "--format", "markdown", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    pages = sorted(folder.glob("*.md"))
    assert len(pages) == Postmortem.objects.count() > 0
    assert all(p.read_text("utf-8").startswith("# Postmortem: ") for p in pages)
    assert json.loads((folder / "export.json").read_text("utf-8"))["version"] == 1


def test_import_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    _organisation()
    document = _export(tmp_path, "export.json")
    Incident.objects.filter(title__startswith="Checkout").delete()
    before = portability.dumps(portability.export_document(AT))

    result = CliRunner().invoke(main, ["import", str(tmp_path / "export.json")])

    assert result.exit_code == 2
    assert "not empty" in result.output and "Traceback" not in result.output
    assert portability.dumps(portability.export_document(AT)) == before
    assert document["data"]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text[: len(text) // 2], "not a JSON document"),
        (lambda text: text.replace('"version": 1', '"version": 99', 1), "version 99"),
        (lambda text: '{"format": "something-else"}', "not a followthrough export"),
        (
            lambda text: text.replace('"model": "incidents.incident"', '"model": "nope.nope"', 1),
            "“nope.nope” is not one of the organisation's own models",
        ),
        (
            lambda text: text.replace('"started_at": "', '"started_at": "yesterday', 1),
            "value has an invalid format",
        ),
        # The first row's key, whatever its number: a row numbered 1 exists only when the
        # database's sequences started afresh (PostgreSQL's survive a rolled-back test).
        (
            lambda text: re.sub(r'"pk": \d+,', '"pk": "one",', text, count=1),
            "value must be an integer",
        ),
    ],
)
def test_a_damaged_file_is_refused_with_exit_2_and_changes_nothing(
    tmp_path: Path, damage: Any, message: str
) -> None:
    _organisation()
    document = _export(tmp_path, "export.json")
    text = damage(portability.dumps(document))
    _flush()
    broken = tmp_path / "broken.json"
    broken.write_text(text, "utf-8")

    result = CliRunner().invoke(main, ["import", str(broken)])

    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert result.output.startswith("Error: nothing imported: ")
    assert not User.objects.exists() and not Incident.objects.exists()
    assert not Team.objects.exists()


def test_a_file_whose_rows_break_a_reference_is_rolled_back_whole(tmp_path: Path) -> None:
    _organisation()
    document = _export(tmp_path, "export.json")
    document["data"]["actions.ActionItem"][-1]["fields"]["postmortem"] = 999_999
    _flush()
    broken = tmp_path / "broken.json"
    broken.write_text(portability.dumps(document), "utf-8")

    result = CliRunner().invoke(main, ["import", str(broken)])

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not User.objects.exists() and not Incident.objects.exists()


def test_timestamps_keep_every_microsecond_in_the_export() -> None:
    from datetime import UTC, datetime

    stamp = datetime(2026, 3, 2, 13, 5, 24, 123, tzinfo=UTC)
    assert json.loads(portability.dumps({"at": stamp}))["at"] == "2026-03-02T13:05:24.000123Z"


# --- the import validates every row as the API would, and only the organisation's models ---


def _first(document: dict[str, Any], model: str) -> dict[str, Any]:
    row: dict[str, Any] = document["data"][model][0]
    return row


def _import(tmp_path: Path, document: dict[str, Any] | str) -> Any:
    path = tmp_path / "crafted.json"
    text = document if isinstance(document, str) else portability.dumps(document)
    path.write_text(text, "utf-8")
    return CliRunner().invoke(main, ["import", str(path)])


def _nothing_written() -> bool:
    from django.contrib.sessions.models import Session

    return not (
        User.objects.exists()
        or Team.objects.exists()
        or Incident.all_objects.exists()
        or Session.objects.exists()
    )


def _crafted(document: dict[str, Any], edit: Any) -> dict[str, Any]:
    copy = json.loads(portability.dumps(document))
    edit(copy)
    return copy


def _set(model: str, field: str, value: Any, row: int = 0) -> Any:
    def edit(document: dict[str, Any]) -> None:
        document["data"][model][row]["fields"][field] = value

    return edit


REFUSED_ROWS = [
    (_set("incidents.Incident", "severity", "P9"), "'P9' is not a valid choice"),
    (_set("incidents.Incident", "title", "x" * 100_000), "at most 200 characters"),
    (_set("incidents.Incident", "summary", "before\x00after"), "NUL"),
    (_set("accounts.Team", "name", "Pay\x00ments"), "NUL"),
    (_set("ingest.IngestSource", "routing", [{"value": "a\x00b"}]), "NUL"),
    (_set("actions.ActionItem", "likelihood", 10**30), "less than or equal to"),
    (_set("actions.ActionItem", "postmortem", 10**30), "less than or equal to"),
    (_set("postmortems.Meeting", "scheduled_for", "9999-12-31T23:59:59Z"), "1970-01-01"),
    (_set("auth.User", "last_login", "0001-01-01T00:00:00Z"), "1970-01-01"),
    (_set("auth.User", "password", "hunter2"), "password"),
]


def test_rows_the_api_would_refuse_are_refused_with_a_report_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    _organisation()
    document = _export(tmp_path, "export.json")
    _flush()
    for edit, reason in REFUSED_ROWS:
        result = _import(tmp_path, _crafted(document, edit))
        assert result.exit_code == 2, (reason, result.output)
        assert "Traceback" not in result.output, result.output
        assert "nothing imported" in result.output and reason in result.output, result.output
        assert _nothing_written(), reason
    # Every refused row is listed, not only the first.
    several = _crafted(document, _set("incidents.Incident", "severity", "P9", row=0))
    _set("incidents.Incident", "severity", "P7", row=1)(several)
    output = _import(tmp_path, several).output
    assert "'P9' is not a valid choice" in output and "'P7' is not a valid choice" in output
    assert "2 rows refused" in output
    # The untouched export still imports.
    assert _import(tmp_path, document).exit_code == 0


def _smuggle(model: str, row: dict[str, Any], under: str = "accounts.Team") -> Any:
    def edit(document: dict[str, Any]) -> None:
        document["data"][under].append({"model": model, **row})

    return edit


SMUGGLED = [
    _smuggle(
        "sessions.session",
        {
            "pk": "x" * 32,
            "fields": {"session_data": "e30:1", "expire_date": "2030-01-01T00:00:00Z"},
        },
    ),
    _smuggle("contenttypes.contenttype", {"pk": 999, "fields": {"app_label": "x", "model": "y"}}),
    _smuggle(
        "auth.permission",
        {"pk": 999, "fields": {"name": "x", "content_type": 1, "codename": "x"}},
        under="auth.Group",
    ),
    _smuggle("admin.logentry", {"pk": 1, "fields": {"action_flag": 1}}, under="auth.User"),
    _smuggle("incidents.incident", {"pk": 999_999, "fields": {}}, under="accounts.Person"),
]


def test_rows_of_other_models_cannot_be_smuggled_in_under_a_known_key(tmp_path: Path) -> None:
    _organisation()
    document = _export(tmp_path, "export.json")
    _flush()
    sessions = "django.contrib.sessions.models"
    for edit in SMUGGLED:
        result = _import(tmp_path, _crafted(document, edit))
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "is not one of the organisation's own" in result.output, result.output
        assert _nothing_written(), result.output
    assert sessions  # sessions are never imported: everyone signs in again


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"format": "followthrough-export", "version": 1, "data": {"auth.User": [1]}}',
        '{"format": "followthrough-export", "version": 1, "data": {"auth.User": [{"pk": 1}]}}',
        '{"format": "followthrough-export", "version": 1, "data": {"auth.User": '
        '[{"model": "auth.user", "pk": 100000000000000000000000000000, "fields": {}}]}}',
    ],
)
def test_a_malformed_file_never_ends_in_a_traceback(tmp_path: Path, text: str) -> None:
    result = _import(tmp_path, text)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "nothing imported" in result.output
    assert _nothing_written()


def test_export_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    load_demo()
    out = tmp_path / "acme.json"
    out.write_text("old", "utf-8")
    out.chmod(0o644)
    assert CliRunner().invoke(main, ["export", "--output", str(out)]).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o600
    folder = tmp_path / "md"
    result = CliRunner().invoke(main, ["export", "--format", "markdown", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    files = list(folder.iterdir())
    assert files and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert folder.stat().st_mode & 0o777 == 0o700

"""Importing history: a team starts with its past, from incident.io, Rootly, FireHydrant or a
folder of Markdown postmortems; all or nothing, and never twice.

The vendor samples under fixtures/import_history/ are trimmed from each vendor's documented
answers: incident.io's API v2 reference examples for ``GET /v2/incidents`` (ListIncidentsV2)
and ``GET /v2/follow-ups``; Rootly's API reference for ``GET /v1/incidents`` and
``GET /v1/incidents/{id}/action_items`` (JSON:API); FireHydrant's API reference for
``GET /v1/incidents`` (with milestones and role assignments) and
``GET /v1/incidents/{id}/tasks``. The Markdown folder holds two postmortems of our corpus.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conftest import Cast
from followthrough.cli import main
from followthrough.web.accounts.models import Person
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem, Status

FIXTURES = Path(__file__).parent / "fixtures" / "import_history"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["import-history", *args])


def imported(key: str) -> Incident:
    return Incident.objects.get(external_id=key)


def copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def edit(path: Path, change: Any) -> None:
    document = json.loads(path.read_text("utf-8"))
    change(document)
    path.write_text(json.dumps(document), "utf-8")


# --- incident.io ---------------------------------------------------------------------------


def test_an_incident_io_export_becomes_incidents_postmortems_and_action_items(cast: Cast) -> None:
    result = run("--from", "incident-io", str(FIXTURES / "incident_io"), "--team", "payments")

    assert result.exit_code == 0, result.output
    assert "Imported from incident.io: 2 created, 1 skipped, 1 people created." in result.output
    assert "declined in incident.io, not an incident" in result.output
    sad = imported("incident-io:01FDAG4SAP5TYPT98WGR2N7W91")
    assert (sad.title, sad.severity, sad.team) == ("Our database is sad", "P1", cast.payments)
    assert sad.started_at == datetime(2021, 8, 17, 13, 28, 57, 801578, tzinfo=UTC)
    assert sad.detected_at == datetime(2021, 8, 17, 13, 35, tzinfo=UTC)
    assert sad.mitigated_at == datetime(2021, 8, 17, 14, 10, tzinfo=UTC)
    assert sad.resolved_at == datetime(2021, 8, 17, 14, 40, tzinfo=UTC)
    assert sad.commander is not None and sad.commander.email == "lisa@incident.io"
    assert list(sad.responders.all()) == [cast.rita], "the other roles are responders"
    assert "created Lisa Karlin Curtis <lisa@incident.io>" in result.output
    postmortem = sad.postmortem
    assert postmortem.status == Status.FINAL
    assert "Postmortem document: https://docs.google.com/my_doc_id" in postmortem.summary
    items = {i.title: i for i in postmortem.action_items.all()}
    assert set(items) == {
        "Add a connection-pool alert",
        "Load-test the replica failover",
        "Rewrite the database in Rust",
    }, "a deleted follow-up is not imported"
    done = items["Add a connection-pool alert"]
    assert done.status == ActionStatus.DONE
    assert done.done_at == datetime(2021, 8, 20, 10, tzinfo=UTC)
    assert items["Load-test the replica failover"].owner == cast.rita, "matched by e-mail"
    dropped = items["Rewrite the database in Rust"]
    assert dropped.status == ActionStatus.DEPRIORITISED
    assert dropped.deprioritised_reason == "Marked “not doing” in incident.io."
    critical = imported("incident-io:01FDAG4SAP5TYPT98WGR2N7W92")
    assert critical.severity == "P0" and critical.commander == cast.ivan
    assert not Postmortem.objects.filter(incident=critical).exists()


def test_importing_the_same_export_twice_creates_nothing_new(cast: Cast) -> None:
    first = run("--from", "incident-io", str(FIXTURES / "incident_io"), "--team", "payments")
    assert first.exit_code == 0, first.output
    counts = (Incident.objects.count(), ActionItem.objects.count(), Person.objects.count())

    second = run("--from", "incident-io", str(FIXTURES / "incident_io"), "--team", "payments")

    assert second.exit_code == 0, second.output
    assert "0 created, 3 skipped, 0 people created" in second.output
    assert "already imported as INC-" in second.output
    assert (Incident.objects.count(), ActionItem.objects.count(), Person.objects.count()) == counts


# --- Rootly --------------------------------------------------------------------------------


def test_a_rootly_export_maps_its_severities_times_and_action_items(cast: Cast) -> None:
    result = run("--from", "rootly", str(FIXTURES / "rootly"), "--team", "payments")

    assert result.exit_code == 0, result.output
    assert "2 created, 1 skipped" in result.output
    assert "cancelled in Rootly" in result.output
    checkout = imported("rootly:c6f8e8b6-3b2f-4b8a-9a0b-1d2e3f4a5b60")
    assert checkout.severity == "P1"
    assert checkout.started_at == datetime(2025, 3, 18, 19, 41, tzinfo=UTC)
    assert checkout.mitigated_at == datetime(2025, 3, 18, 20, 3, tzinfo=UTC)
    assert checkout.resolved_at == datetime(2025, 3, 18, 20, 40, tzinfo=UTC)
    assert checkout.postmortem.resolution == "Fixed the pool size."
    items = {i.title: i for i in checkout.postmortem.action_items.all()}
    assert items["Add the missing orders index"].status == ActionStatus.DONE
    assert items["Add the missing orders index"].owner == cast.person(cast.bob)
    alert = items["Alert on pool utilisation over 80%"]
    assert alert.due_date == date(2025, 3, 28) and alert.owner is not None
    assert alert.owner.name == "Daniel Kim", "nobody had that e-mail: created"
    assert items["Move checkout to a new database engine"].status == ActionStatus.DEPRIORITISED
    assert imported("rootly:c6f8e8b6-3b2f-4b8a-9a0b-1d2e3f4a5b61").severity == "P3"


def test_a_rootly_id_that_climbs_out_of_the_folder_reads_no_other_file(
    cast: Cast, tmp_path: Path
) -> None:
    folder = copy(tmp_path, "rootly")
    (tmp_path / "secret.json").write_text('{"data": [{"id": "x"}]}', "utf-8")

    def climb(document: dict[str, Any]) -> None:
        document["data"] = document["data"][:1]
        document["data"][0]["id"] = "../../secret"

    edit(folder / "incidents.json", climb)

    result = run("--from", "rootly", str(folder), "--team", "payments")

    assert result.exit_code == 0, result.output
    assert imported("rootly:../../secret").title == "Checkout 502s after deploy"
    assert not Postmortem.objects.exists(), "no action items were read for it"


# --- FireHydrant ---------------------------------------------------------------------------


def test_a_firehydrant_severity_without_an_equivalent_is_refused_with_a_sentence(
    cast: Cast,
) -> None:
    result = run("--from", "firehydrant", str(FIXTURES / "firehydrant"), "--team", "payments")

    assert result.exit_code == 2
    assert "Severity “SEV5” has no P0-P3 equivalent; map it with --severity-map 'SEV5=P2'" in (
        result.output
    )
    assert "would be created; nothing written" in result.output
    assert "Traceback" not in result.output
    assert not Incident.objects.exists()


def test_a_firehydrant_export_with_a_severity_map_imports_milestones_roles_and_tasks(
    cast: Cast,
) -> None:
    result = run(
        "--from", "firehydrant", str(FIXTURES / "firehydrant"),
        "--team", "payments", "--severity-map", "SEV5=P3",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    latency = imported("firehydrant:9a3e2c1b-0000-4000-8000-000000000001")
    assert latency.severity == "P1"
    assert latency.commander == cast.ivan
    assert list(latency.responders.all()) == [cast.rita]
    assert latency.detected_at == datetime(2025, 5, 6, 7, 4, tzinfo=UTC)
    assert latency.resolved_at == datetime(2025, 5, 6, 8, tzinfo=UTC)
    assert latency.postmortem.impact == "EU shoppers could not pay."
    tasks = {t.title: t for t in latency.postmortem.action_items.all()}
    assert tasks["Cap payment retries at 3"].status == ActionStatus.DONE
    assert tasks["Page on p99 over 2 s for 5 minutes"].owner == cast.frank
    assert tasks["Page on p99 over 2 s for 5 minutes"].due_date == date(2025, 5, 20)
    assert imported("firehydrant:9a3e2c1b-0000-4000-8000-000000000002").severity == "P3"


# --- Markdown ------------------------------------------------------------------------------


def test_a_folder_of_markdown_postmortems_becomes_final_postmortems(cast: Cast) -> None:
    result = run("--from", "markdown", str(FIXTURES / "markdown"), "--team", "payments")

    assert result.exit_code == 0, result.output
    checkout = imported("markdown:2025-03-18-checkout-db-connection-pool.md")
    assert checkout.title == "Checkout errors from database connection pool exhaustion"
    assert checkout.severity == "P1"
    assert checkout.failure_mode == "database connection pool exhaustion in checkout-api"
    assert checkout.started_at is not None and checkout.started_at.date() == date(2025, 3, 18)
    pm = checkout.postmortem
    assert pm.status == Status.FINAL
    assert pm.summary.startswith("checkout-api returned HTTP 500 for 22 minutes")
    assert "31,400 checkout requests failed" in pm.impact
    assert "no systematic check of query plans" in pm.root_cause
    assert pm.timeline_events.count() == 8
    assert pm.whys.count() == 5
    items = {i.title: i for i in pm.action_items.all()}
    assert len(items) == 4
    index = next(i for t, i in items.items() if "index on orders" in t)
    assert index.owner is not None and index.owner.name == "Daniel Kim"
    assert index.due_date == date(2025, 3, 20)
    assert "Index present in production" in index.done_condition

    webhooks = imported("markdown:2025/2025-07-03-payment-webhooks-delivered-twice.md")
    sent = webhooks.postmortem.action_items.get(title__startswith="Send duplicate event lists")
    assert sent.status == ActionStatus.DONE, "a ticked checkbox is done"
    assert sent.owner is not None and sent.owner.handle == "lena.k"
    assert webhooks.postmortem.action_items.filter(status=ActionStatus.OPEN).count() == 4


def test_a_markdown_postmortem_without_a_severity_is_refused_unless_mapped(
    cast: Cast, tmp_path: Path
) -> None:
    (tmp_path / "db.md").write_text(
        "# Database failover took an hour\n\n## Summary\n\nThe replica lagged.\n", "utf-8"
    )

    refused = run("--from", "markdown", str(tmp_path), "--team", "payments")
    mapped = run(
        "--from", "markdown", str(tmp_path), "--team", "payments", "--severity-map", "none=P3"
    )

    assert refused.exit_code == 2
    assert "It has no severity; map rows without one with --severity-map none=P3." in refused.output
    assert mapped.exit_code == 0, mapped.output
    assert imported("markdown:db.md").severity == "P3"


def test_word_and_confluence_exports_in_the_folder_import_like_their_markdown(
    cast: Cast, tmp_path: Path
) -> None:
    from core.test_sources import CONFLUENCE, MARKDOWN, word_document

    (tmp_path / "checkout.md").write_text(MARKDOWN, "utf-8")
    (tmp_path / "checkout.html").write_text(CONFLUENCE, "utf-8")
    (tmp_path / "checkout.docx").write_bytes(word_document())

    result = run(
        "--from", "markdown", str(tmp_path), "--team", "payments", "--severity-map", "none=P2"
    )

    assert result.exit_code == 0, result.output

    def read(name: str) -> tuple[object, ...]:
        pm = imported(f"markdown:{name}").postmortem
        return (
            pm.incident.title,
            pm.summary,
            pm.impact,
            pm.root_cause,
            [e.description for e in pm.timeline_events.order_by("occurred_at")],
            [w.answer for w in pm.whys.order_by("position")],
            sorted((i.title, i.due_date) for i in pm.action_items.all()),
        )

    assert read("checkout.html") == read("checkout.md")
    assert read("checkout.docx") == read("checkout.md")
    assert read("checkout.md")[0] == "Checkout errors for EU customers"


# --- teams and people ----------------------------------------------------------------------


def test_without_a_team_every_row_is_refused_and_nothing_is_written(cast: Cast) -> None:
    result = run("--from", "rootly", str(FIXTURES / "rootly"))

    assert result.exit_code == 2
    assert "It names no team; pass --team SLUG." in result.output
    assert not Incident.objects.exists()


def test_an_unknown_team_is_refused_naming_the_teams_there_are(cast: Cast) -> None:
    result = run("--from", "rootly", str(FIXTURES / "rootly"), "--team", "nope")

    assert result.exit_code == 2
    assert "--team: no team “nope” (teams: payments, security)." in result.output
    assert not Incident.objects.exists()


# --- bad input -----------------------------------------------------------------------------


def refused(result: Result, line: str) -> None:
    assert result.exit_code == 2, result.output
    assert line in result.output, result.output
    assert "Traceback" not in result.output
    assert not Incident.objects.exists() and not Person.objects.filter(name="Daniel Kim").exists()


def test_a_file_that_is_not_what_it_claims_is_refused(cast: Cast, tmp_path: Path) -> None:
    markdown = FIXTURES / "markdown" / "2025-03-18-checkout-db-connection-pool.md"
    refused(run("--from", "rootly", str(markdown), "--team", "payments"), "is not JSON")
    refused(
        run(
            "--from",
            "rootly",
            str(FIXTURES / "incident_io" / "incidents.json"),
            "--team",
            "payments",
        ),
        "has no “data” list; it is not a Rootly incidents list (JSON:API).",
    )
    refused(
        run(
            "--from",
            "incident-io",
            str(FIXTURES / "rootly" / "incidents.json"),
            "--team",
            "payments",
        ),
        "has no “incidents” list; it is not an incident.io incidents list (API v2).",
    )
    refused(
        run(
            "--from", "markdown", str(FIXTURES / "rootly" / "incidents.json"), "--team", "payments"
        ),
        "is not a folder; --from markdown reads a folder of postmortems.",
    )
    refused(run("--from", "rootly", str(tmp_path / "missing.json")), "no such file.")


def test_nul_bytes_are_refused(cast: Cast, tmp_path: Path) -> None:
    raw = tmp_path / "incidents.json"
    raw.write_bytes((FIXTURES / "rootly" / "incidents.json").read_bytes() + b"\x00")
    refused(run("--from", "rootly", str(raw), "--team", "payments"), "holds NUL bytes")

    folder = copy(tmp_path, "rootly")
    edit(folder / "incidents.json", lambda d: d["data"][0]["attributes"].update(title="Pool\x00"))
    refused(
        run("--from", "rootly", str(folder), "--team", "payments"),
        "title: Value error, Text cannot contain NUL (\\x00) characters.",
    )


def test_unknown_fields_are_refused_unless_left_out_on_purpose(cast: Cast, tmp_path: Path) -> None:
    folder = copy(tmp_path, "incident_io")
    edit(folder / "incidents.json", lambda d: d["incidents"][0].update(blast_radius="huge"))

    refused(
        run("--from", "incident-io", str(folder), "--team", "payments"),
        "incidents[0]: unknown field blast_radius (pass --ignore-unknown-fields to leave them out).",
    )
    edit(folder / "incidents.json", lambda d: d.update(exported_by="me"))
    refused(
        run("--from", "incident-io", str(folder), "--team", "payments"),
        "unknown top-level field exported_by",
    )
    edit(folder / "incidents.json", lambda d: d.pop("exported_by"))
    allowed = run(
        "--from", "incident-io", str(folder), "--team", "payments", "--ignore-unknown-fields"
    )
    assert allowed.exit_code == 0, allowed.output
    assert "incidents[0]: unknown field blast_radius, left out." in allowed.output


def test_a_hundred_thousand_character_title_is_refused(cast: Cast, tmp_path: Path) -> None:
    folder = copy(tmp_path, "rootly")
    edit(
        folder / "incidents.json", lambda d: d["data"][1]["attributes"].update(title="x" * 100_000)
    )

    result = run("--from", "rootly", str(folder), "--team", "payments")

    refused(result, "title: String should have at most 200 characters.")
    assert "x" * 300 not in result.output, "the report does not echo the title"
    assert "data[0] (101): would be created; nothing written" in result.output


@pytest.mark.parametrize(
    ("when", "line"),
    [
        ("1969-12-31T23:00:00Z", "started_at 1969-12-31"),
        ("2200-01-01T00:00:00Z", "started_at 2200-01-01"),
    ],
)
def test_times_outside_1970_to_2200_are_refused(
    cast: Cast, tmp_path: Path, when: str, line: str
) -> None:
    folder = copy(tmp_path, "rootly")
    edit(folder / "incidents.json", lambda d: d["data"][1]["attributes"].update(started_at=when))

    refused(run("--from", "rootly", str(folder), "--team", "payments"), line)


def test_a_time_that_is_not_a_time_is_refused(cast: Cast, tmp_path: Path) -> None:
    folder = copy(tmp_path, "firehydrant")
    edit(folder / "incidents.json", lambda d: d["data"][0].update(started_at="yesterday"))

    refused(
        run(
            "--from", "firehydrant", str(folder), "--team", "payments", "--severity-map", "SEV5=P3"
        ),
        "started_at “yesterday” is not an ISO 8601 time.",
    )


def test_a_severity_map_that_is_not_name_equals_level_is_refused(cast: Cast) -> None:
    result = run("--from", "rootly", str(FIXTURES / "rootly"), "--severity-map", "SEV5=P9")

    assert result.exit_code == 2
    assert "--severity-map “SEV5=P9” is not NAME=P0..P3 (e.g. SEV5=P3)." in result.output


def test_a_symbolic_link_in_the_markdown_folder_is_not_followed(cast: Cast, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret plans\n\n**Severity:** P1\n", "utf-8")
    folder = tmp_path / "postmortems"
    folder.mkdir()
    shutil.copy(FIXTURES / "markdown" / "2025-03-18-checkout-db-connection-pool.md", folder)
    (folder / "linked.md").symlink_to(outside / "secret.md")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)

    result = run("--from", "markdown", str(folder), "--team", "payments")

    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    assert not Incident.objects.filter(title="Secret plans").exists()


def test_values_of_the_wrong_kind_are_refused_with_a_line(cast: Cast, tmp_path: Path) -> None:
    folder = copy(tmp_path, "incident_io")

    def misshape(document: dict[str, Any]) -> None:
        document["incidents"][0]["incident_role_assignments"] = ["lisa"]
        document["incidents"][1]["severity"] = 5

    edit(folder / "incidents.json", misshape)

    result = run("--from", "incident-io", str(folder), "--team", "payments")

    refused(result, "incidents[0]: a field holds the wrong kind of value")
    assert "incidents[1] (INC-124).severity is not text." in result.output


def test_a_follow_up_with_an_unknown_status_refuses_the_run(cast: Cast, tmp_path: Path) -> None:
    folder = copy(tmp_path, "incident_io")
    edit(folder / "follow_ups.json", lambda d: d["follow_ups"][1].update(status="someday"))

    refused(
        run("--from", "incident-io", str(folder), "--team", "payments"),
        "refused  follow_ups[1]: unknown follow-up status “someday”.",
    )

"""Importing history: a team starts with its past, from incident.io, Rootly, FireHydrant or a
folder of Markdown postmortems; all or nothing, and never twice.

Where each sample under fixtures/import_history/ comes from:

- incident_io/: incident.io's own published examples, trimmed: the incident object of
  https://docs.incident.io/api-reference/incidents-v2 (ListIncidentsV2, "Our database is
  sad", Lisa Karlin Curtis, ``01FDAG4SAP5TYPT98WGR2N7W91``, ``docs.google.com/my_doc_id``)
  and the follow-up object of https://docs.incident.io/api-reference/follow-ups-v2; the
  second and third incidents and the follow-ups' titles and statuses are varied from them.
- rootly_published/: Rootly's published example answer of "Retrieves an incident",
  https://docs.rootly.com/api-reference/incidents/retrieves-an-incident (incident
  ``d8555a06-…``, "Occaecati alias repellat ut.", user Gary Prosacco), trimmed (the user's
  role and permissions cut, the e-mail the page hides left out) and put in a list answer.
- firehydrant_lifecycle/: an incident with every field of ``IncidentEntity`` in
  FireHydrant's own SDK (firehydrant/firehydrant-typescript-sdk,
  ``src/models/components/incidententity.ts``, generated from FireHydrant's API
  reference), its times only in ``lifecycle_phases`` (``milestones`` is deprecated there).
- rootly/ and firehydrant/: shaped after the fields of Rootly's API reference
  (https://docs.rootly.com/api-reference/incidents/list-incidents, JSON:API) and
  FireHydrant's (https://docs.firehydrant.com/reference/list_incidents), with action items
  and tasks; not the vendors' own example answers.
- firehydrant_csv/incidents.csv: the columns FireHydrant's own exporter writes,
  https://github.com/firehydrant/csv-incident-parser/blob/main/index.js (json-2-csv of
  ``GET /v1/incidents``: arrays as JSON, nothing as ``null``).

The Markdown folder holds two postmortems of our corpus.
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
from followthrough.web.incidents.models import Incident, Source
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


# --- where an imported incident came from ----------------------------------------------------


def test_an_imported_incident_says_where_it_came_from_on_its_page_and_in_the_api(
    cast: Cast,
) -> None:
    result = run("--from", "incident-io", str(FIXTURES / "incident_io"), "--team", "payments")
    assert result.exit_code == 0, result.output
    sad = imported("incident-io:01FDAG4SAP5TYPT98WGR2N7W91")
    assert sad.source == Source.IMPORT, "not “entered by hand”"
    assert sad.source_url == "https://app.incident.io/incidents/123"

    page = cast.browser(cast.alice).get(f"/incidents/{sad.pk}/").content.decode()
    assert "Imported from incident.io" in page
    assert "<code>01FDAG4SAP5TYPT98WGR2N7W91</code>" in page
    assert 'href="https://app.incident.io/incidents/123"' in page

    body = cast.api("alice").get(f"/api/v1/incidents/{sad.pk}").json()
    assert body["source"] == "import"
    assert body["source_label"] == "Imported from incident.io"
    assert body["source_url"] == "https://app.incident.io/incidents/123"
    assert body["external_id"] == "incident-io:01FDAG4SAP5TYPT98WGR2N7W91"


def test_every_import_source_has_words_for_where_its_incidents_came_from() -> None:
    from followthrough.web.history_import.sources import SOURCES
    from followthrough.web.incidents.models import IMPORTED_FROM

    assert set(IMPORTED_FROM) == set(SOURCES)
    assert Incident(source=Source.IMPORT, external_id="markdown:2025/a.md").origin == (
        "Imported from a Markdown postmortem"
    )
    assert Incident(source=Source.PAGERDUTY).origin == "PagerDuty"


def test_an_incident_page_address_that_is_not_a_web_address_refuses_the_row(
    cast: Cast, tmp_path: Path
) -> None:
    folder = copy(tmp_path, "incident_io")
    edit(
        folder / "incidents.json",
        lambda d: d["incidents"][0].update(permalink="javascript:alert(document.cookie)"),
    )

    refused(
        run("--from", "incident-io", str(folder), "--team", "payments"),
        "url: “javascript:alert(document.cookie)” is not a web address.",
    )


# --- CSV -----------------------------------------------------------------------------------

CSV = FIXTURES / "firehydrant_csv" / "incidents.csv"


def test_a_firehydrant_csv_export_becomes_incidents(cast: Cast) -> None:
    result = run(
        "--from", "firehydrant", str(CSV), "--team", "payments", "--severity-map", "SEV4=P3"
    )

    assert result.exit_code == 0, result.output
    assert "Imported from FireHydrant: 2 created, 0 skipped, 0 people created." in result.output
    latency = imported("firehydrant:#42")
    assert (latency.title, latency.severity, latency.source) == (
        "Payments API latency",
        "P1",
        Source.IMPORT,
    )
    assert latency.started_at == datetime(2025, 5, 6, 7, tzinfo=UTC)
    assert latency.detected_at == datetime(2025, 5, 6, 7, 4, tzinfo=UTC)
    assert latency.mitigated_at == datetime(2025, 5, 6, 7, 30, tzinfo=UTC)
    assert latency.resolved_at == datetime(2025, 5, 6, 8, tzinfo=UTC)
    assert latency.commander == cast.ivan, "matched by name"
    safari = imported("firehydrant:#43")
    assert safari.title == "Checkout button hidden on Safari, iOS 17", "a quoted comma"
    assert safari.started_at == datetime(2025, 5, 9, 15, 20, tzinfo=UTC), "null: opened_at"
    assert safari.commander is None and safari.severity == "P3"

    again = run(
        "--from", "firehydrant", str(CSV), "--team", "payments", "--severity-map", "SEV4=P3"
    )
    assert "0 created, 2 skipped" in again.output


def test_a_csv_is_recognised_by_its_content_too(cast: Cast, tmp_path: Path) -> None:
    export = tmp_path / "export.txt"
    export.write_bytes(b"\xef\xbb\xbf" + CSV.read_bytes())  # a spreadsheet's BOM

    result = run(
        "--from", "firehydrant", str(export), "--team", "payments", "--severity-map", "SEV4=P3"
    )

    assert result.exit_code == 0, result.output
    assert Incident.objects.count() == 2


def test_bad_csv_rows_are_refused_line_by_line_and_nothing_is_written(
    cast: Cast, tmp_path: Path
) -> None:
    lines = CSV.read_text("utf-8").splitlines()
    broken = tmp_path / "incidents.csv"
    broken.write_text(
        "\n".join(
            [
                *lines,
                lines[1].replace("42,", "44,", 1).replace("2025-05-06T07:30:00.000Z", "soon"),
                lines[1].replace("42,", "forty-five,", 1),
                lines[1].replace("42,", "46,", 1) + ",one cell too many",
            ]
        ),
        "utf-8",
    )

    result = run(
        "--from", "firehydrant", str(broken), "--team", "payments", "--severity-map", "SEV4=P3"
    )

    refused(result, "line 4 (#44) mitigated “soon” is not an ISO 8601 time.")
    assert "line 5: number “forty-five” is not an incident number." in result.output
    assert "line 6: more cells than the header has columns." in result.output
    assert "line 2 (#42): would be created; nothing written" in result.output


def test_a_csv_with_other_columns_is_refused_unless_they_are_left_out(
    cast: Cast, tmp_path: Path
) -> None:
    export = tmp_path / "incidents.csv"
    lines = CSV.read_text("utf-8").splitlines()
    export.write_text(
        "\n".join([lines[0] + ",blast_radius", *(line + ",huge" for line in lines[1:])]), "utf-8"
    )

    refused(
        run(
            "--from", "firehydrant", str(export), "--team", "payments", "--severity-map", "SEV4=P3"
        ),
        "line 2: unknown column blast_radius (pass --ignore-unknown-fields to leave them out).",
    )
    allowed = run(
        "--from", "firehydrant", str(export), "--team", "payments",
        "--severity-map", "SEV4=P3", "--ignore-unknown-fields",
    )  # fmt: skip
    assert allowed.exit_code == 0, allowed.output
    assert "incidents.csv: unknown column blast_radius, left out." in allowed.output

    export.write_text("title,severity\nPool exhausted,SEV1\n", "utf-8")
    headless = run("--from", "firehydrant", str(export), "--team", "payments")
    assert headless.exit_code == 2
    assert "the header line has no number, name columns; it is not a FireHydrant" in (
        headless.output
    )


@pytest.mark.parametrize(
    ("source", "label"), [("incident-io", "incident.io"), ("rootly", "Rootly")]
)
def test_a_csv_from_a_vendor_without_documented_columns_is_refused_not_guessed(
    cast: Cast, source: str, label: str
) -> None:
    refused(
        run("--from", source, str(CSV), "--team", "payments"),
        f"is CSV; {label} publishes no description of its CSV export's columns",
    )


# --- the vendors' own samples --------------------------------------------------------------


def test_rootlys_published_incident_example_is_imported(cast: Cast, tmp_path: Path) -> None:
    folder = copy(tmp_path, "rootly_published")
    # The list reference (docs.rootly.com/api-reference/incidents/list-incidents) repeats
    # the id among the attributes; a real list answer carries it.
    edit(
        folder / "incidents.json",
        lambda d: d["data"][0]["attributes"].update(id=d["data"][0]["id"]),
    )

    result = run(
        "--from", "rootly", str(folder), "--team", "payments", "--severity-map", "none=P2"
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    example = imported("rootly:d8555a06-d5fc-4b78-b810-5c39bad9f1ec")
    assert (example.title, example.severity) == ("Occaecati alias repellat ut.", "P2")
    assert example.summary.startswith("Libero perspiciatis corporis.")
    assert example.source_url == (
        "http://localhost:3001/account/incidents/1-occaecati-alias-repellat-ut"
    )
    assert example.origin == "Imported from Rootly"


def test_a_firehydrant_incident_with_only_lifecycle_phases_keeps_its_times(cast: Cast) -> None:
    result = run(
        "--from", "firehydrant", str(FIXTURES / "firehydrant_lifecycle"), "--team", "payments"
    )

    assert result.exit_code == 0, result.output
    assert "unknown field" not in result.output, "every field of FireHydrant's IncidentEntity"
    cards = imported("firehydrant:5d2f0a1e-7b3c-4c1d-9e8f-0a1b2c3d4e5f")
    assert cards.severity == "P0"
    assert cards.started_at == datetime(2026, 2, 3, 10, tzinfo=UTC)
    assert cards.detected_at == datetime(2026, 2, 3, 10, 3, tzinfo=UTC)
    assert cards.mitigated_at == datetime(2026, 2, 3, 10, 18, tzinfo=UTC)
    assert cards.resolved_at == datetime(2026, 2, 3, 10, 40, tzinfo=UTC)
    assert cards.source_url.startswith("https://app.firehydrant.io/incidents/5d2f0a1e")


@pytest.mark.django_db(transaction=True)
def test_incidents_imported_before_the_import_source_existed_become_imported() -> None:
    """Migration incidents 0005: an earlier import was recorded as entered by hand."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def migrate(target: tuple[str, str]) -> Any:
        executor = MigrationExecutor(connection)
        executor.migrate([target])
        executor.loader.build_graph()
        # The models as the applied migrations leave them: incidents went back, and with it
        # what depends on its later migrations (postmortems 0004); the rest is at its latest.
        return executor.loader.project_state(list(executor.loader.applied_migrations)).apps

    latest = ("incidents", "0005_source_import_and_source_url")
    old = migrate(("incidents", "0004_source_jsm_and_grafana_oncall"))
    try:
        Team = old.get_model("accounts", "Team")
        Incident_ = old.get_model("incidents", "Incident")
        team = Team.objects.create(name="Payments", slug="payments")
        for source, external_id in [
            ("manual", "rootly:c6f8e8b6"),
            ("manual", "markdown:2025/a.md"),
            ("manual", ""),
            ("api", "rootly:from-our-own-api"),
            ("manual", "jira:PAY-1"),
        ]:
            Incident_.objects.create(
                team=team, title="x", severity="P2", source=source, external_id=external_id
            )
        new = migrate(latest)
        sources = dict(
            new.get_model("incidents", "Incident").objects.values_list("external_id", "source")
        )
        assert sources == {
            "rootly:c6f8e8b6": "import",
            "markdown:2025/a.md": "import",
            "": "manual",
            "rootly:from-our-own-api": "api",
            "jira:PAY-1": "manual",
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

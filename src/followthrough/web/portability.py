"""The whole organisation in one JSON document, and back.

``export_document()`` serialises every exported model with Django's serialisers (primary
keys kept, so references survive; content types and permissions by natural key, since
their ids differ between databases). ``import_document()`` restores it into an empty
database in one transaction, resets the sequences and rebuilds the derived tables.
Models are discovered from the apps, so a new one is either exported or on ``SKIPPED``
with a reason (a test checks).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

FORMAT = "followthrough-export"
VERSION = 1

PROJECT_APPS = (
    "accounts",
    "incidents",
    "postmortems",
    "actions",
    "history",
    "followup",
    "ingest",
    "integrations",
    "insights",
)

# Django's own models exported first: logins (password hashes included) and their groups.
CONTRIB = ("auth.Group", "auth.User")

# Project models left out of the export, each with the reason. Everything else in
# PROJECT_APPS is exported (the follow-up outbox, escalations and job runs too, so the
# new installation neither re-sends a message nor re-runs a weekly review); a test fails
# when a model is in neither.
SKIPPED: dict[str, str] = {
    # Transient: a one-time Slack link lives 15 minutes; a new one is a /postmortem link away.
    "ingest.SlackLinkRequest": "one-time link tokens that expire after 15 minutes",
    # Derived tables: rebuilt on import from incidents, postmortems and items.
    "insights.IncidentSignature": "similarity index, rebuilt by insights.repeats.rebuild",
    "insights.SignatureBand": "similarity index, rebuilt by insights.repeats.rebuild",
    "insights.IncidentEmbedding": "semantic similarity index, rebuilt by insights.repeats.rebuild",
    "insights.IndexState": "similarity index watermark, rebuilt by insights.repeats.rebuild",
    "insights.MilestoneDeadlines": "derived, rebuilt by insights.deadlines.rebuild",
    "insights.ActionRollup": "derived, rebuilt by insights.deadlines.rebuild",
    "insights.CohortFact": "dashboard sums, rebuilt by insights.facts (after deadlines.rebuild)",
    "insights.DailyCohort": "dashboard sums, rebuilt by insights.facts (after deadlines.rebuild)",
    "insights.DailyEscalations": "dashboard sums, rebuilt by insights.facts",
}


class ImportRefused(Exception):
    """The file or the database does not allow an import; the message says why."""


def project_models() -> list[type[models.Model]]:
    return [m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models()]


def label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def exported_models() -> list[type[models.Model]]:
    """Every exported model, in an order where references mostly point backwards
    (constraint checks are deferred on import, so self-references and cycles load too)."""
    contrib = [apps.get_model(name) for name in CONTRIB]
    ours = [m for m in project_models() if label(m) not in SKIPPED]
    ordered = serializers.sort_dependencies([(None, ours)], allow_cycles=True)
    return contrib + list(ordered)


def _rows(model: type[models.Model]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = serializers.serialize(
        "python",
        # the base manager: soft-deleted rows too (the default manager hides them)
        model._base_manager.order_by("pk"),
        use_natural_foreign_keys=True,
    )
    m2m = [f.name for f in model._meta.many_to_many]
    for row in rows:
        for name in m2m:
            row["fields"][name] = sorted(row["fields"][name], key=lambda v: json.dumps(v))
    return rows


def export_document(now: datetime | None = None) -> dict[str, Any]:
    """The whole organisation as a JSON-ready dict (datetimes still objects)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": (now or timezone.now()).isoformat(),
        "data": {label(m): _rows(m) for m in exported_models()},
    }


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes to milliseconds; an export keeps every microsecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, cls=_ExactEncoder, indent=1, ensure_ascii=False)


def database_is_empty() -> bool:
    from followthrough.web.accounts.models import Team
    from followthrough.web.incidents.models import Incident

    return not (User.objects.exists() or Team.objects.exists() or Incident.all_objects.exists())


def parse(text: str) -> dict[str, Any]:
    """Check the envelope of an export; refuse anything else with a one-line reason."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ImportRefused(f"not a JSON document ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportRefused(f'not a followthrough export (no "format": "{FORMAT}")')
    if document.get("version") != VERSION:
        raise ImportRefused(
            f"export version {document.get('version')!r} is not supported (expected {VERSION})"
        )
    data = document.get("data")
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ImportRefused('"data" must map model labels to lists of rows')
    known = {label(m) for m in exported_models()}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ImportRefused(f"unknown models in the export: {', '.join(unknown)}")
    return document


def import_document(
    document: dict[str, Any], progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Load an export into an empty database in one transaction; returns rows per model."""
    if not database_is_empty():
        raise ImportRefused(
            "the database is not empty (it holds users, teams or incidents); "
            "import only into a fresh database"
        )
    data = document["data"]
    order = exported_models()
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():
            # auth.Group/User rows name permissions and content types by natural key;
            # those come from migrations, so their ids may differ from the source's.
            with connection.constraint_checks_disabled():
                for model in order:
                    name = label(model)
                    rows = data.get(name, [])
                    for obj in serializers.deserialize("python", rows, ignorenonexistent=False):
                        obj.save()
                    counts[name] = len(rows)
                    if progress:
                        progress(name, len(rows))
            connection.check_constraints(table_names=[m._meta.db_table for m in order])
            _reset_sequences(order)
    except ImportRefused:
        raise
    except (
        DeserializationError,
        IntegrityError,
        DatabaseError,
        LookupError,
        ValidationError,
        ObjectDoesNotExist,
    ) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ImportRefused(f"the export could not be loaded: {first}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ImportRefused(f"the export is damaged: {type(exc).__name__}: {exc}") from None
    rebuild_derived()
    return counts


def _reset_sequences(order: list[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), order)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def rebuild_derived() -> None:
    """The similarity index, milestone deadlines and action-item counts, from scratch."""
    from followthrough.web.insights import deadlines, repeats

    repeats.rebuild()
    deadlines.rebuild()


def write_markdown(directory: Path) -> int:
    """One Markdown file per postmortem in ``directory``; returns how many."""
    from followthrough.web.postmortems.linting import postmortem_markdown
    from followthrough.web.postmortems.models import Postmortem

    directory.mkdir(parents=True, exist_ok=True)
    written = 0
    for pm in Postmortem.objects.select_related("incident__team").order_by("pk"):
        slug = slugify(pm.incident.title)[:60] or "postmortem"
        (directory / f"{pm.pk:05d}-{slug}.md").write_text(postmortem_markdown(pm), "utf-8")
        written += 1
    return written

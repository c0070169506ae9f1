"""Passages a postmortem copies from earlier ones (the seed's "copy-paste postmortem").

The linter's own folder-level rule (:class:`followthrough.core.rules.corpus.CopyPaste`,
PM601) does the comparing, over the postmortem as Markdown
(:func:`followthrough.web.postmortems.linting.postmortem_markdown`) and a handful of
earlier postmortems, never all of them: those of the incidents the similarity index finds
alike, and the team's most recent ones (where last quarter's "improve monitoring" comes
from). Only postmortems the reader may see are compared (accounts.visibility).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, Q, prefetch_related_objects

from followthrough.core.config import LintConfig
from followthrough.core.markdown import parse
from followthrough.core.rules.corpus import CopyPaste
from followthrough.web.actions.models import ActionItem
from followthrough.web.insights.repeats import similar_incident_ids
from followthrough.web.postmortems.linting import (
    PANEL_LABELS,
    PANEL_OF_SECTION,
    postmortem_markdown,
)
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.visibility import incident_q

#: earlier postmortems compared: of the most similar incidents, and the team's latest
SIMILAR = 15
RECENT = 15
#: a low bar for "similar incident" here: pasted text often comes from unlike incidents
SIMILAR_THRESHOLD = 0.05


@dataclass(frozen=True)
class Source:
    postmortem: Postmortem
    line: int | None
    score: float


@dataclass(frozen=True)
class CopiedPassage:
    """Lines of this postmortem's Markdown that are (nearly) the same as in earlier ones."""

    line: int
    end_line: int
    excerpt: str
    section: str | None
    panel: str
    panel_label: str
    sources: list[Source]


def candidates(postmortem: Postmortem, user: AbstractBaseUser | AnonymousUser) -> Q:
    """The earlier postmortems worth comparing with ``postmortem``, as a condition on
    postmortems: those of similar incidents, and the team's latest (a subquery, so that the
    postmortems themselves are read in the same query). The similar incidents are not
    read: their postmortems are, by incident id."""
    incident = postmortem.incident
    similar = similar_incident_ids(
        incident,
        user,
        limit=SIMILAR,
        threshold=SIMILAR_THRESHOLD,
        root_cause=postmortem.root_cause,
    )
    recent = (
        Postmortem.objects.filter(
            incident_q(user, "incident"),
            incident__team_id=incident.team_id,
            created_at__lte=postmortem.created_at,
        )
        .exclude(pk=postmortem.pk)
        .order_by("-created_at", "-pk")
        .values("pk")[:RECENT]
    )
    # the similar incidents' postmortems, of live incidents (similar_incidents reads them
    # through Incident.objects)
    return Q(incident_id__in=similar, incident__deleted_at__isnull=True) | Q(pk__in=recent)


def copied_passages(
    postmortem: Postmortem, user: AbstractBaseUser | AnonymousUser
) -> list[CopiedPassage]:
    """The passages of ``postmortem`` found in earlier postmortems, in document order."""
    others = list(
        Postmortem.objects.filter(candidates(postmortem, user)).select_related(
            "incident__team", "incident__commander", "meeting__facilitator"
        )
    )
    if not others:
        return []
    # The lists of all of them, this one's included: one query each.
    prefetch_related_objects(
        [postmortem, *others],
        "timeline_events",
        "whys",
        "factors",
        Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
    )
    own_path = f"{postmortem.incident.key}.md"
    docs = [parse(postmortem_markdown(postmortem), path=own_path)]
    by_path: dict[str, Postmortem] = {}
    for other in others:
        path = f"{other.incident.key}.md"
        by_path[path] = other
        docs.append(parse(postmortem_markdown(other), path=path))
    found = []
    for path, finding in CopyPaste().check_corpus(docs, LintConfig()):
        if path != own_path:
            continue
        panel = PANEL_OF_SECTION.get(finding.section, "document") if finding.section else "document"
        found.append(
            CopiedPassage(
                line=finding.line,
                end_line=finding.end_line,
                excerpt=finding.excerpt,
                section=finding.section.value if finding.section else None,
                panel=panel,
                panel_label=PANEL_LABELS[panel],
                sources=[
                    Source(by_path[r.path], r.line, round(r.score, 3))
                    for r in finding.related
                    if r.path in by_path
                ],
            )
        )
    return found

"""Repeat incidents in the service: the similarity index in the database, suggestions with
scores, and people's decisions on them.

The signatures and their LSH buckets are computed by :mod:`followthrough.core.repeats`
and stored in :class:`IncidentSignature` and :class:`SignatureBand`, so a look-up is one
indexed query for candidates, one for their signatures, and an exact score of each.

The index keeps up three ways: a save of an incident or postmortem re-indexes it after
commit (signals, see ``apps.py``); edits made by conditional UPDATEs (``save_versioned``)
send no signal, so every look-up first catches up with rows whose ``updated_at`` moved
since the last catch-up (:func:`catch_up`); and ``followthrough insights rebuild`` builds
everything from scratch.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction
from django.db.models import Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from followthrough.core import repeats as core
from followthrough.web.history.context import acting_as
from followthrough.web.incidents.models import Incident
from followthrough.web.insights import semantic
from followthrough.web.insights.models import (
    IncidentSignature,
    IndexState,
    RepeatDecision,
    SignatureBand,
    Verdict,
)
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import Refused
from followthrough.web.versioning import save_versioned
from followthrough.web.visibility import incident_q

INDEX = "similarity"
#: what the stored signatures were computed under (``IndexState.detail``): when the terms
#: change (``core.TERMS``: another version, or another word table), the next catch-up
#: re-indexes every incident (``followthrough insights rebuild`` does it ahead of time)
TERMS = core.TERMS


def catch_up_every() -> float:
    """Look-ups catch up with other incidents' edits at most this often, in seconds
    (setting ``INSIGHTS_SIMILARITY_CATCH_UP_SECONDS``, default 5)."""
    return float(getattr(settings, "INSIGHTS_SIMILARITY_CATCH_UP_SECONDS", 5.0))


#: how far back a catch-up looks again, for edits whose transaction committed late
CATCH_UP_MARGIN = timedelta(minutes=5)
#: candidates scored exactly per look-up (the ones sharing the most buckets)
CANDIDATES = 100
#: incidents read per bucket (the most recent ones)
PER_BUCKET = 200
BATCH = 2000

_FIELDS = (
    "pk",
    "team_id",
    "title",
    "summary",
    "failure_mode",
    "failure_tags",
    "started_at",
    "created_at",
    "updated_at",
    "postmortem__root_cause",
    "postmortem__updated_at",
)


def _text(row: dict[str, Any]) -> core.IncidentText:
    tags = row["failure_tags"] if isinstance(row["failure_tags"], list) else []
    return core.IncidentText(
        title=row["title"] or "",
        summary=row["summary"] or "",
        failure_mode=row["failure_mode"] or "",
        tags=tuple(str(t) for t in tags),
        root_cause=row["postmortem__root_cause"] or "",
    )


def signature_of(incident: Incident) -> core.Signature:
    """The signature of an incident as it is now (unsaved edits included)."""
    return core.signature(_incident_text(incident))


def _source_time(row: dict[str, Any]) -> datetime:
    times = [t for t in (row["updated_at"], row["postmortem__updated_at"]) if t is not None]
    return max(times)


class _Computed(NamedTuple):
    """A signature ready to store (a plain tuple: a bulk load makes no model instances)."""

    incident_id: int
    team_id: int
    occurred_at: datetime
    terms: bytes
    mode_terms: bytes
    minhash: bytes
    source_updated_at: datetime
    updated_at: datetime
    buckets: list[int]

    def model(self) -> IncidentSignature:
        return IncidentSignature(
            incident_id=self.incident_id,
            team_id=self.team_id,
            occurred_at=self.occurred_at,
            terms=self.terms,
            mode_terms=self.mode_terms,
            minhash=self.minhash,
            source_updated_at=self.source_updated_at,
            updated_at=self.updated_at,
        )


def _compute(rows: Iterable[dict[str, Any]]) -> Iterator[_Computed]:
    now = timezone.now()
    for row in rows:
        sig = core.signature(_text(row))
        yield _Computed(
            row["pk"],
            row["team_id"],
            row["started_at"] or row["created_at"],
            core.pack(sig.terms),
            core.pack(sig.mode_terms),
            core.pack_sketch(sig.minhash),
            _source_time(row),
            now,
            sig.buckets(),
        )


def _embed(rows: list[dict[str, Any]]) -> list[semantic.Embedded]:
    """With the semantic mode on, the embeddings of these incidents (one batch, computed
    outside any transaction); none with it off."""
    if not semantic.enabled():
        return []
    return semantic.compute(
        [(row["pk"], semantic.text_of(_text(row)), _source_time(row)) for row in rows]
    )


def _store(computed: list[_Computed]) -> None:
    IncidentSignature.objects.bulk_create([c.model() for c in computed], batch_size=500)
    SignatureBand.objects.bulk_create(
        [SignatureBand(bucket=b, incident_id=c.incident_id) for c in computed for b in c.buckets],
        batch_size=5000,
    )


def index_incidents(ids: Iterable[int]) -> int:
    """(Re)index these incidents; returns how many were indexed."""
    wanted = sorted(set(ids))
    done = 0
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        rows = list(Incident.objects.filter(pk__in=chunk).values(*_FIELDS))
        computed = list(_compute(rows))
        embedded = _embed(rows)
        with transaction.atomic():
            SignatureBand.objects.filter(incident_id__in=chunk).delete()
            IncidentSignature.objects.filter(incident_id__in=chunk).delete()
            _store(computed)
            # soft-deleted incidents in the chunk lose their embedding, as their signature
            semantic.replace(chunk, embedded)
        done += len(computed)
    return done


def catch_up(*, every: float = 0.0) -> int:
    """Re-index incidents whose incident or postmortem row changed since the last catch-up
    (every incident the first time, and after the terms changed: ``TERMS``). Returns how
    many were re-indexed.

    With ``every``, does nothing if this process caught up less than ``every`` seconds ago
    (look-ups pass :func:`catch_up_every`: the incident looked up is always compared as it
    is now; other incidents' edits are seen within seconds)."""
    state = IndexState.due(INDEX, every)
    if state is None:
        return 0
    if (
        every
        and state.synced_until
        and ((timezone.now() - state.synced_until).total_seconds() < every)
    ):
        return 0
    started = timezone.now()
    if state.synced_until is None or state.detail != TERMS:
        # the first catch-up, or signatures made under other terms (they compare with
        # nothing made now): every incident (soft-deleted ones lose their signature)
        stale = set(Incident.all_objects.values_list("pk", flat=True))
    else:
        since = state.synced_until - CATCH_UP_MARGIN
        # two plain range queries (an index on each updated_at makes them cheap), not an
        # OR across a join
        # all_objects: a soft delete or restore moves updated_at too, and drops or re-adds
        touched = set(
            Incident.all_objects.filter(updated_at__gt=since).values_list("pk", flat=True)
        )
        touched.update(
            Postmortem.all_objects.filter(updated_at__gt=since).values_list(
                "incident_id", flat=True
            )
        )
        changed = Incident.all_objects.filter(pk__in=touched).values_list(
            "pk", "updated_at", "postmortem__updated_at", "signature__source_updated_at"
        )
        stale = {
            pk
            for pk, updated, pm_updated, indexed in changed
            if indexed is None or max(t for t in (updated, pm_updated) if t) > indexed
        }
    backfill = semantic.enabled() and not semantic.backfilled()
    if not semantic.enabled():
        # edits made while it is off are not embedded: turned on again, it backfills
        semantic.unsync()
    if backfill:
        # the semantic mode was just turned on: every incident without an embedding
        stale.update(Incident.objects.filter(embedding__isnull=True).values_list("pk", flat=True))
    count = index_incidents(stale) if stale else 0
    IndexState.objects.filter(pk=state.pk).update(synced_until=started, detail=TERMS)
    if backfill:
        semantic.mark_synced(started)
    return count


def rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Drop the index and build it again from every incident. On PostgreSQL the rows go
    in with COPY; elsewhere in bulk inserts. Returns how many incidents were indexed."""
    started = timezone.now()
    copy = connection.vendor == "postgresql"
    lookup_index = SignatureBand._meta.indexes[0]
    if copy:
        # a bulk load into an unindexed table, then one index build, is several times
        # faster than keeping the index up to date row by row
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {SignatureBand._meta.db_table}, {IncidentSignature._meta.db_table}"
            )
        with connection.schema_editor() as editor:
            editor.remove_index(SignatureBand, lookup_index)
    else:
        with transaction.atomic():
            SignatureBand.objects.all().delete()
            IncidentSignature.objects.all().delete()
    # rebuilt with the semantic mode on; dropped with it off (they would go stale)
    semantic.forget()
    total = Incident.objects.count()
    done = 0
    last = 0
    while True:
        # keyset pages: each is an index range scan, however far in
        rows = list(
            Incident.objects.filter(pk__gt=last).order_by("pk").values(*_FIELDS)[: BATCH * 5]
        )
        if not rows:
            break
        last = rows[-1]["pk"]
        computed = list(_compute(rows))
        embedded = _embed(rows)
        with transaction.atomic():
            if copy:
                _copy_in(computed)
            else:
                _store(computed)
            semantic.replace([], embedded)
        done += len(computed)
        if progress is not None:
            progress(done, total)
    if copy:
        with connection.cursor() as cursor:
            # inside an outer transaction the rows' deferred foreign-key checks are still
            # pending, and PostgreSQL builds no index over a table with pending checks
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor() as editor:
            editor.add_index(SignatureBand, lookup_index)
        with connection.cursor() as cursor:
            tables = f"{SignatureBand._meta.db_table}, {IncidentSignature._meta.db_table}"
            # VACUUM marks the freshly loaded pages all-visible, so a look-up's bucket
            # scans read the index alone (it cannot run inside a transaction)
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            cursor.execute(f"{verb} {tables}")
    state, _ = IndexState.objects.get_or_create(name=INDEX)
    IndexState.objects.filter(pk=state.pk).update(synced_until=started, detail=TERMS)
    if semantic.enabled():
        semantic.mark_synced(started)
    return done


def _copy_in(computed: list[_Computed]) -> None:
    """COPY the signatures and their bands, each table as one block of COPY text (binary
    values as ``\\x`` hex, times in ISO 8601 with their offset)."""
    sig_table = IncidentSignature._meta.db_table
    band_table = SignatureBand._meta.db_table
    signatures = io.StringIO()
    bands = io.StringIO()
    for c in computed:
        signatures.write(
            f"{c.incident_id}\t{c.team_id}\t{c.occurred_at.isoformat()}\t"
            f"\\\\x{c.terms.hex()}\t\\\\x{c.mode_terms.hex()}\t\\\\x{c.minhash.hex()}\t"
            f"{c.source_updated_at.isoformat()}\t{c.updated_at.isoformat()}\n"
        )
        if c.buckets:
            tail = f"\t{c.incident_id}\n"
            bands.write(tail.join(map(str, c.buckets)) + tail)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            f"COPY {sig_table} (incident_id, team_id, occurred_at, terms, mode_terms, minhash, "
            "source_updated_at, updated_at) FROM STDIN"
        ) as copy:
            copy.write(signatures.getvalue())
        with raw.copy(f"COPY {band_table} (bucket, incident_id) FROM STDIN") as copy:
            copy.write(bands.getvalue())


# --- suggestions -------------------------------------------------------------------------


Engine = Literal["words", "meaning"]


def _incident_text(incident: Incident, root_cause: str | None = None) -> core.IncidentText:
    """The text compared; ``root_cause``: its postmortem's, when the caller has read it."""
    if root_cause is None:
        postmortem = Postmortem.objects.filter(incident_id=incident.pk).only("root_cause").first()
        root_cause = postmortem.root_cause if postmortem else ""
    return core.IncidentText(
        title=incident.title,
        summary=incident.summary,
        failure_mode=incident.failure_mode,
        tags=tuple(str(t) for t in incident.failure_tags or ()),
        root_cause=root_cause,
    )


@dataclass(frozen=True)
class Suggestion:
    """An earlier incident like this one, the exact score, and any decision on the pair."""

    incident: Incident
    score: float
    decision: RepeatDecision | None
    #: which comparison gave the score: shared words (MinHash) or meaning (semantic mode)
    engine: Engine = "words"

    @property
    def confirmed(self) -> bool:
        return self.decision is not None and self.decision.decision == Verdict.CONFIRMED


def _candidates_sql(buckets: list[int], before: int | None) -> tuple[str, list[int]]:
    """The query for :func:`candidate_ids` (``incident_id, shared`` rows), and its
    parameters."""
    table = SignatureBand._meta.db_table
    below = "AND incident_id < %s " if before else ""
    part = (
        f"SELECT incident_id FROM (SELECT incident_id FROM {table} WHERE bucket = %s "
        f"{below}ORDER BY incident_id DESC LIMIT {PER_BUCKET}) AS b{{n}}"
    )
    union = " UNION ALL ".join(part.format(n=n) for n in range(len(buckets)))
    sql = (
        f"SELECT incident_id, COUNT(*) AS shared FROM ({union}) AS candidates "
        "GROUP BY incident_id "
        f"ORDER BY shared DESC, incident_id DESC LIMIT {CANDIDATES}"
    )
    params: list[int] = []
    for bucket in buckets:
        params += [bucket, before] if before else [bucket]
    return sql, params


def candidate_ids(buckets: list[int], before: int | None = None) -> list[int]:
    """The incidents sharing the most buckets with ``buckets``, at most ``CANDIDATES``;
    with ``before``, only incidents recorded before that one (a smaller id).

    Each bucket contributes its ``PER_BUCKET`` most recent incidents (an index range scan
    each): a bucket that half the organisation shares (boilerplate words) costs the same
    as a rare one, and says as little."""
    if not buckets:
        return []
    sql, params = _candidates_sql(buckets, before)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _earlier(a_time: datetime, a_pk: int, b_time: datetime, b_pk: int) -> bool:
    """Is b earlier than a (by start, then by id)?"""
    return (b_time, b_pk) < (a_time, a_pk)


def similar_incidents(
    incident: Incident,
    user: AbstractBaseUser | AnonymousUser,
    *,
    limit: int = 5,
    threshold: float = core.DEFAULT_THRESHOLD,
    signature: core.Signature | None = None,
    root_cause: str | None = None,
) -> list[Suggestion]:
    """The earlier incidents most like ``incident`` that ``user`` may see, best first,
    scoring at least ``threshold``; pairs someone rejected are left out, a confirmed one
    stays (marked). ``signature`` compares an unsaved version of the incident.

    With ``INSIGHTS_SEMANTIC`` on, earlier incidents close in meaning (cosine at least
    ``semantic.THRESHOLD``, and at least ``threshold``) are candidates too, filtered
    exactly as the MinHash ones; each scores the higher of its two scores, and says which
    comparison gave it (``engine``). ``root_cause``: that of the incident's (live)
    postmortem, when the caller has read the postmortem; otherwise it is read here."""
    scored, decisions, engines = _scored(incident, user, limit, threshold, signature, root_cause)
    found = Incident.objects.select_related("team", "postmortem").in_bulk([m.key for m in scored])
    return [
        Suggestion(found[m.key], m.score, decisions.get(m.key), engines[m.key])
        for m in scored
        if m.key in found
    ]


def similar_incident_ids(
    incident: Incident,
    user: AbstractBaseUser | AnonymousUser,
    *,
    limit: int = 5,
    threshold: float = core.DEFAULT_THRESHOLD,
    root_cause: str | None = None,
) -> list[int]:
    """The ids of :func:`similar_incidents`' incidents, best first, without reading the
    incidents: for a caller that reads what it needs of them in its own query (and leaves
    out soft-deleted incidents there, as ``Incident.objects`` does here)."""
    return [m.key for m in _scored(incident, user, limit, threshold, None, root_cause)[0]]


def _scored(
    incident: Incident,
    user: AbstractBaseUser | AnonymousUser,
    limit: int,
    threshold: float,
    signature: core.Signature | None,
    root_cause: str | None,
) -> tuple[list[core.Match], dict[int, RepeatDecision], dict[int, Engine]]:
    """The best ``limit`` matches of :func:`similar_incidents`, the decisions on the
    incident's pairs and which comparison scored each match.

    Without the semantic mode the index's catch-up is decided after the candidates are
    read: their query also reads when the index last caught up, and only when a catch-up
    is due (or nothing was found, which says nothing) does one run, and the candidates are
    read again if it re-indexed anything; the answer is the one a catch-up first would
    give, in one query fewer. The semantic mode's look-up needs the index first."""
    every = catch_up_every()
    later = not semantic.enabled()
    if not later:
        catch_up(every=every)
    text = _incident_text(incident, root_cause)
    if signature is None:
        signature = core.signature(text)
    meaning: dict[int, float] = {}
    if semantic.enabled():
        meaning = semantic.nearest(
            semantic.text_of(text),
            incident.pk,
            max(semantic.THRESHOLD, threshold),
            every=catch_up_every(),
        )
    if signature.is_empty and not meaning:
        if later:
            catch_up(every=every)
        return [], {}, {}
    # the decisions on the pairs apart: as subqueries of the candidates' query they cost
    # more on PostgreSQL than this query (demo incident 9, p50: 3.0 ms in one, 2.6 apart)
    decisions = {
        d.candidate_id: d
        for d in RepeatDecision.objects.filter(incident_id=incident.pk).select_related("decided_by")
    }
    # a confirmed pair is shown even if the texts have drifted apart since
    confirmed = [c for c, d in decisions.items() if d.decision == Verdict.CONFIRMED]
    rejected = {c for c, d in decisions.items() if d.decision == Verdict.REJECTED}
    # candidates were recorded before it (whether they also started before it is checked
    # below, on the exact rows); found and read in one query
    wanted = Q(pk__in=confirmed) | Q(pk__in=list(meaning))
    buckets = signature.buckets()
    if buckets:
        sql, params = _candidates_sql(buckets, incident.pk)
        wanted |= Q(pk__in=RawSQL(f"SELECT incident_id FROM ({sql}) AS chosen", params))
    when = incident.started_at or incident.created_at or timezone.now()
    rows = (
        IncidentSignature.objects.filter(incident_q(user, "incident"))
        .filter(wanted)
        .exclude(pk__in=rejected)
        .annotate(synced=Subquery(IndexState.objects.filter(name=INDEX).values("synced_until")[:1]))
        .values_list("incident_id", "occurred_at", "terms", "mode_terms", "synced")
    )
    found = list(rows)
    if later:
        synced = found[0][4] if found else None
        fresh = synced is not None and (timezone.now() - synced).total_seconds() < every
        if not fresh and catch_up(every=every):
            found = list(rows.all())
    scored: list[core.Match] = []
    engines: dict[int, Engine] = {}
    for pk, occurred, terms, mode_terms, _ in found:
        if pk not in decisions and not _earlier(when, incident.pk or 0, occurred, pk):
            continue
        value = core.score_stored(signature, terms, mode_terms) if not signature.is_empty else 0.0
        engines[pk] = "words"
        if meaning.get(pk, 0.0) > value:
            value = meaning[pk]
            engines[pk] = "meaning"
        if value >= threshold or pk in decisions:
            scored.append(core.Match(pk, value))
    scored.sort(key=lambda m: (-(m.key in confirmed), -m.score, -m.key))
    scored = scored[:limit]
    return scored, decisions, engines


def failed_to_prevent(incident: Incident, user: AbstractBaseUser | AnonymousUser) -> list[Incident]:
    """The later incidents confirmed (or marked) as repeats of ``incident``: its postmortem
    failed to prevent them. Only those ``user`` may see."""
    return list(
        Incident.objects.filter(incident_q(user), repeat_of=incident)
        .select_related("team")
        .order_by(Coalesce("started_at", "created_at"), "pk")
    )


# --- decisions ---------------------------------------------------------------------------


@transaction.atomic
def decide_repeat(
    incident: Incident,
    candidate: Incident,
    verdict: str,
    user: AbstractBaseUser | None,
    note: str = "",
    score: float | None = None,
) -> RepeatDecision:
    """Record whether ``incident`` repeats ``candidate``. Confirming sets
    ``incident.repeat_of`` (the policy then requires a postmortem); rejecting keeps the
    pair from being suggested again and, if it was the marked repeat, unmarks it."""
    if verdict not in Verdict.values:
        raise Refused(
            [f"A decision is {' or '.join(Verdict.values)}; got {verdict!r}."], field="decision"
        )
    if candidate.pk == incident.pk:
        raise Refused(["An incident cannot repeat itself."], field="candidate")
    if verdict == Verdict.CONFIRMED and candidate.repeat_of_id == incident.pk:
        raise Refused(
            [
                f"{candidate.key} is already marked a repeat of {incident.key}; "
                "two incidents cannot repeat each other."
            ],
            field="candidate",
        )
    if score is None:
        score = core.score(signature_of(incident), signature_of(candidate))
    decision, _ = RepeatDecision.objects.update_or_create(
        incident=incident,
        candidate=candidate,
        defaults={
            "decision": verdict,
            "score": score,
            "decided_by": user if user is not None and user.is_authenticated else None,
            "decided_at": timezone.now(),
            "note": note.strip(),
        },
    )
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    new_repeat_of: Incident | None | bool = False  # False: leave alone
    if verdict == Verdict.CONFIRMED and current.repeat_of_id != candidate.pk:
        new_repeat_of = candidate
    elif verdict == Verdict.REJECTED and current.repeat_of_id == candidate.pk:
        new_repeat_of = None
    if new_repeat_of is not False:
        what = "confirmed a repeat of" if new_repeat_of else "rejected a repeat of"
        with acting_as(user=user, note=f"{what} {candidate.key}"):
            save_versioned(current, current.version, {"repeat_of": new_repeat_of})
        incident.refresh_from_db()
    return decision


def withdraw_decision(
    incident: Incident, candidate: Incident, user: AbstractBaseUser | None
) -> bool:
    """Undo a decision on the pair: the pair can be suggested again, and a confirmed repeat
    is unmarked (``incident.repeat_of`` cleared, in the history). False: there was none."""
    decision = RepeatDecision.objects.filter(incident=incident, candidate=candidate).first()
    if decision is None:
        return False
    decision.delete()
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    if decision.decision == Verdict.CONFIRMED and current.repeat_of_id == candidate.pk:
        with acting_as(user=user, note=f"withdrew the repeat of {candidate.key}"):
            save_versioned(current, current.version, {"repeat_of": None})
        incident.refresh_from_db()
    return True

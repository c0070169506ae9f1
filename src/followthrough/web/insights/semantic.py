"""The optional semantic mode of repeat suggestions (setting ``INSIGHTS_SEMANTIC``).

When on, every incident the similarity index (re)indexes also gets an
:class:`IncidentEmbedding` (the same text as its MinHash signature, embedded by
:mod:`followthrough.core.semantic`), and a look-up adds the earlier incidents whose vectors
are close to this one's (cosine at least :data:`THRESHOLD`) to the MinHash candidates.
Those candidates then pass through exactly the same filters (visibility, soft deletion,
rejected pairs, earlier only) in :func:`followthrough.web.insights.repeats.similar_incidents`.

The vectors are read into one numpy matrix per process, kept, and read again when the
stored embeddings changed (their count or newest ``updated_at``, checked at most every
``catch_up_every()`` seconds, and at once after this process indexed something).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.core import checks
from django.db.models import Count, Max
from django.utils import timezone

from followthrough.core import repeats as core
from followthrough.core import semantic as engine
from followthrough.web.insights.models import IncidentEmbedding, IndexState

#: a cosine at or above this is a suggestion by meaning. all-MiniLM-L6-v2 puts paraphrases
#: of one failure ("connection pool exhausted" / "ran out of database connections") near
#: 0.55 to 0.8 and unrelated incidents of the same organisation (a certificate expiry, a
#: stale search index) below 0.3; 0.5 keeps the first and leaves the second with a margin
#: (tests/web/insights/test_semantic.py holds both sides).
THRESHOLD = 0.5
#: nearest vectors handed to the exact filters per look-up
CANDIDATES = 50
#: the name of the IndexState row recording that every incident has an embedding
INDEX = "semantic"

_lock = threading.Lock()
_matrix: _Matrix | None = None
_dirty = True
_checked_at = 0.0
_query_cache: OrderedDict[str, Any] = OrderedDict()
_QUERY_CACHE_SIZE = 256


def enabled() -> bool:
    return bool(getattr(settings, "INSIGHTS_SEMANTIC", False))


def text_of(fields: core.IncidentText) -> str:
    """The text embedded for an incident: the same as its MinHash signature's."""
    return fields.all_text()


def embed(texts: Sequence[str]) -> list[bytes]:
    return engine.Embedder().embed(texts)


class Embedded(NamedTuple):
    incident_id: int
    vector: bytes
    text_hash: str
    source_updated_at: datetime


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def compute(rows: Sequence[tuple[int, str, datetime]]) -> list[Embedded]:
    """Embed ``(incident id, text, source time)`` rows, all in one batch."""
    vectors = embed([text for _, text, _ in rows])
    return [
        Embedded(pk, vector, text_hash(text), source)
        for (pk, text, source), vector in zip(rows, vectors, strict=True)
    ]


def replace(ids: Iterable[int], embedded: Sequence[Embedded]) -> None:
    """Drop the embeddings of ``ids`` and store ``embedded`` (call inside the caller's
    transaction)."""
    deleted, _ = IncidentEmbedding.objects.filter(incident_id__in=list(ids)).delete()
    if embedded:
        now = timezone.now()
        IncidentEmbedding.objects.bulk_create(
            [
                IncidentEmbedding(
                    incident_id=e.incident_id,
                    vector=e.vector,
                    text_hash=e.text_hash,
                    source_updated_at=e.source_updated_at,
                    updated_at=now,
                )
                for e in embedded
            ],
            batch_size=500,
        )
    if deleted or embedded:
        changed()


def changed() -> None:
    """This process changed stored embeddings: read the matrix again on the next look-up."""
    global _dirty
    _dirty = True


def mark_synced(when: Any) -> None:
    state, _ = IndexState.objects.get_or_create(name=INDEX)
    IndexState.objects.filter(pk=state.pk).update(synced_until=when)


def unsync() -> None:
    """The mode is off: the stored embeddings may fall behind, backfill when it is on."""
    IndexState.objects.filter(name=INDEX, synced_until__isnull=False).update(synced_until=None)


def forget() -> None:
    """Drop every stored embedding (a rebuild with the mode off: they would go stale)."""
    IncidentEmbedding.objects.all().delete()
    IndexState.objects.filter(name=INDEX).update(synced_until=None)
    changed()


def backfilled() -> bool:
    """Has every incident been given an embedding since the mode was turned on?"""
    return IndexState.objects.filter(name=INDEX, synced_until__isnull=False).exists()


class _Matrix:
    def __init__(self, ids: Any, vectors: Any, stamp: tuple[int, Any]) -> None:
        self.ids = ids
        self.vectors = vectors
        self.stamp = stamp


def _stamp() -> tuple[int, Any]:
    found = IncidentEmbedding.objects.aggregate(n=Count("pk"), newest=Max("updated_at"))
    return found["n"], found["newest"]


def _load(stamp: tuple[int, Any]) -> _Matrix:
    import numpy as np

    ids: list[int] = []
    chunks: list[bytes] = []
    for pk, vector in (
        IncidentEmbedding.objects.order_by("pk")
        .values_list("incident_id", "vector")
        .iterator(chunk_size=5000)
    ):
        ids.append(pk)
        chunks.append(bytes(vector))
    if not ids:
        return _Matrix(np.zeros(0, dtype=np.int64), np.zeros((0, engine.DIMENSIONS)), stamp)
    vectors = np.frombuffer(b"".join(chunks), dtype="<f4").reshape(len(ids), -1)
    return _Matrix(np.asarray(ids, dtype=np.int64), vectors, stamp)


def matrix(every: float = 0.0) -> _Matrix:
    """The stored vectors of this process, read again if they changed."""
    global _matrix, _dirty, _checked_at
    with _lock:
        now = time.monotonic()
        if _matrix is not None and not _dirty and now - _checked_at < every:
            return _matrix
        stamp = _stamp()
        _checked_at = now
        if _matrix is None or _dirty or stamp != _matrix.stamp:
            _dirty = False
            _matrix = _load(stamp)
        return _matrix


def query_vector(text: str, incident_id: int | None = None) -> Any:
    """The vector of ``text`` as a numpy array: the incident's stored one if it was
    embedded from this very text, else one of the last few computed, else embedded now."""
    import numpy as np

    with _lock:
        if text in _query_cache:
            _query_cache.move_to_end(text)
            return _query_cache[text]
    stored = (
        IncidentEmbedding.objects.filter(incident_id=incident_id, text_hash=text_hash(text))
        .values_list("vector", flat=True)
        .first()
        if incident_id
        else None
    )
    if stored is not None:
        return np.frombuffer(bytes(stored), dtype="<f4")
    vector = np.frombuffer(embed([text])[0], dtype="<f4")
    with _lock:
        _query_cache[text] = vector
        while len(_query_cache) > _QUERY_CACHE_SIZE:
            _query_cache.popitem(last=False)
    return vector


def nearest(
    text: str, before: int | None, threshold: float, every: float = 0.0
) -> dict[int, float]:
    """The incidents (recorded before ``before``, if given) whose vectors are closest to
    ``text``'s, with their cosines, at least ``threshold``; at most :data:`CANDIDATES`."""
    import numpy as np

    if not text.strip():
        return {}
    stored = matrix(every)
    if not len(stored.ids):
        return {}
    scores = stored.vectors @ query_vector(text, before)
    keep = scores >= threshold
    if before:
        keep &= stored.ids < before
    picked = np.flatnonzero(keep)
    if len(picked) > CANDIDATES:
        picked = picked[np.argsort(-scores[picked], kind="stable")[:CANDIDATES]]
    return {int(stored.ids[i]): float(scores[i]) for i in picked}


@checks.register()
def check_semantic_extra(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``INSIGHTS_SEMANTIC`` on needs the extra installed."""
    if enabled() and not engine.available():
        return [
            checks.Error(
                "INSIGHTS_SEMANTIC is on but the semantic extra is not installed.",
                hint=f"Run {engine.INSTALL_HINT}, or turn INSIGHTS_SEMANTIC off.",
                id="followthrough.E201",
            )
        ]
    return []

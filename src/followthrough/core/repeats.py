"""Repeat incidents: a similarity signature per incident that a database can index.

The seed: "Track repeat incidents. If the same failure mode recurs, the postmortem failed."
When an incident is recorded, or its failure mode written, the earlier incidents most like
it are suggested, each with a score, and a person confirms or rejects each suggestion.

How an incident is compared (standard library only, no network):

1. **Terms.** The failure mode, its tags, the title, the summary and the postmortem's root
   cause become their normal words (:func:`followthrough.core.similarity.normal_words`, the
   one normalisation the linter's repeat-incident rule uses too: stop words and numbers
   out, abbreviations written out, stems, synonyms: "TLS cert lapsed" and "certificate
   expiry" share "certif" and "expir"), each CRC-32 hashed. The failure mode and tags also form a
   set of their own, because they are what "the same failure mode" means. An incident with no
   failure mode written yet (one just recorded is often a title and nothing else) puts its
   title there instead: a title names the failure too, and compared only through all the
   words, a four-word title against an earlier incident's full write-up scores low for the
   words the new one has not written yet, not for a different failure.
2. **MinHash.** ``NUM_PERM`` hash functions ``(a*x + b) mod p`` over the terms (the failure
   mode's terms are added once more, salted, so they weigh double); keeping the minimum of
   each gives a sketch in which two incidents agree at a position with probability equal to
   the Jaccard similarity of their term sets.
3. **LSH buckets.** The sketch is cut into ``BANDS`` bands of ``ROWS`` values; each band
   hashes (with its number mixed in) to one 63-bit bucket. Incidents sharing a bucket are
   candidates: with 16 bands of 1, a pair with Jaccard 0.3 meets in some bucket with
   probability 1 - (1 - 0.3)**16 = 0.997. Bands of one value make wide buckets, so the
   candidates sharing the most buckets (an estimate of the Jaccard similarity) are the
   ones scored. A database stores one row per (bucket, incident), so finding candidates is
   one indexed ``bucket IN (...)`` query.
4. **Exact score.** Candidates are scored from their stored term sets (:func:`score`), so
   the number shown is exact and the sketch only decides who gets compared.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from followthrough.core.similarity import normal_words, word_forms_digest

NUM_PERM = 16
ROWS = 1
BANDS = NUM_PERM // ROWS
#: a score at or above this is suggested as a possible repeat
DEFAULT_THRESHOLD = 0.3
#: weight of the failure-mode-and-tags similarity (:meth:`IncidentText.mode_text`)
MODE_WEIGHT = 0.6

_MAX_CACHED = 100_000
_PRIME = (1 << 61) - 1
_MAX32 = (1 << 32) - 1
_MAX63 = (1 << 63) - 1
_MODE_SALT = 0x5BD1E995
_BAND_MIX = 0x9E3779B97F4A7C15


def _permutations(n: int) -> tuple[tuple[int, int], ...]:
    """``n`` fixed (a, b) pairs: the same in every process, so stored sketches stay valid."""
    out = []
    state = 0x2545F4914F6CDD1D
    for _ in range(n):
        pair = []
        for _ in range(2):
            # xorshift64*: deterministic, well spread
            state ^= (state >> 12) & 0xFFFFFFFFFFFFFFFF
            state ^= (state << 25) & 0xFFFFFFFFFFFFFFFF
            state ^= (state >> 27) & 0xFFFFFFFFFFFFFFFF
            pair.append(((state * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF) % _PRIME)
        out.append((pair[0] | 1, pair[1]))
    return tuple(out)


_PERMS = _permutations(NUM_PERM)

#: how :func:`terms` makes its terms: a stored signature made by another version (or
#: under another word table) compares with nothing made now, so the service re-indexes
#: every incident when :data:`TERMS` changes
TERMS_VERSION = 3
TERMS = f"terms v{TERMS_VERSION}, words {word_forms_digest()}"
_MAX_CACHED_TERMS = 1 << 20
_TERM_IDS: dict[str, int] = {}


def _term_id(word: str) -> int:
    value = _TERM_IDS.get(word)
    if value is None:
        value = zlib.crc32(word.encode())
        if len(_TERM_IDS) < _MAX_CACHED_TERMS:
            _TERM_IDS[word] = value
    return value


def terms(text: str) -> frozenset[int]:
    """CRC-32 hashes of the normal words of ``text``
    (:func:`followthrough.core.similarity.normal_words`: the linter's repeat-incident rule
    compares the same words)."""
    words = normal_words(text)
    try:
        # every word seen before (the usual case): dictionary look-ups only
        return frozenset(map(_TERM_IDS.__getitem__, words))
    except KeyError:
        return frozenset(map(_term_id, words))


@dataclass(frozen=True)
class IncidentText:
    """What is compared of an incident (and of its postmortem, when it has one)."""

    title: str = ""
    summary: str = ""
    failure_mode: str = ""
    tags: Sequence[str] = ()
    root_cause: str = ""

    def mode_text(self) -> str:
        """The failure mode and tags, or, before a failure mode is written, the title and tags."""
        return " ".join([self.failure_mode.strip() or self.title, *self.tags])

    def all_text(self) -> str:
        return " ".join([self.title, self.summary, self.failure_mode, *self.tags, self.root_cause])


@dataclass(frozen=True)
class Signature:
    """The stored form of an incident for similarity: term sets and MinHash sketch."""

    terms: frozenset[int]
    mode_terms: frozenset[int]
    minhash: tuple[int, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms

    def buckets(self) -> list[int]:
        """One LSH bucket per band (band number mixed in), as signed-safe 63-bit ints."""
        return buckets(self.minhash)


_HASHES: dict[int, array[int]] = {}


def _hashes(feature: int) -> array[int]:
    """The ``NUM_PERM`` permuted values of one feature, memoised: a vocabulary is small and
    a corpus repeats it, so a sketch is mostly an element-wise minimum of cached rows."""
    row = _HASHES.get(feature)
    if row is None:
        p = _PRIME
        row = array("I", [((a * feature + b) % p) & _MAX32 for a, b in _PERMS])
        if len(_HASHES) < _MAX_CACHED:
            _HASHES[feature] = row
    return row


def minhash(features: Iterable[int]) -> tuple[int, ...]:
    """The ``NUM_PERM`` minima of ``(a*x + b) mod p`` (low 32 bits) over ``features``.

    An empty set gives an empty sketch (it has no buckets and matches nothing)."""
    try:
        rows = list(map(_HASHES.__getitem__, features))
    except KeyError:
        rows = [_hashes(x) for x in features]
    if not rows:
        return ()
    return tuple(map(min, zip(*rows, strict=True)))


#: what each band's value is mixed with (its number, spread)
_MIXES = tuple(((band + 1) * _BAND_MIX) & _MAX63 for band in range(BANDS))


def buckets(sketch: Sequence[int]) -> list[int]:
    """One bucket per band: the band's ``ROWS`` values side by side (32 bits each), mixed
    with the band's number, as a non-negative 63-bit integer."""
    if len(sketch) < NUM_PERM:
        return []
    if ROWS == 1:
        return [(v ^ mix) & _MAX63 for v, mix in zip(sketch, _MIXES, strict=False)]
    out = []
    for band in range(BANDS):
        value = 0
        for v in sketch[band * ROWS : (band + 1) * ROWS]:
            value = (value << 32) | v
        out.append((value ^ _MIXES[band]) & _MAX63)
    return out


def signature(text: IncidentText) -> Signature:
    mode_terms = terms(text.mode_text())
    all_terms = mode_terms | terms(" ".join([text.title, text.summary, text.root_cause]))
    features = set(all_terms)
    features.update(t ^ _MODE_SALT for t in mode_terms)
    return Signature(all_terms, mode_terms, minhash(features))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def score(a: Signature, b: Signature) -> float:
    """How alike two incidents are, 0 to 1: when both name a failure mode (or have a title
    in its place, :meth:`IncidentText.mode_text`), ``MODE_WEIGHT`` x Jaccard of failure mode
    and tags + the rest x Jaccard of all their words; otherwise the Jaccard of all their
    words."""
    whole = jaccard(a.terms, b.terms)
    if a.mode_terms and b.mode_terms:
        return round(
            MODE_WEIGHT * jaccard(a.mode_terms, b.mode_terms) + (1 - MODE_WEIGHT) * whole, 4
        )
    return round(whole, 4)


def score_stored(
    target: Signature, terms_blob: bytes | memoryview | None, mode_blob: bytes | memoryview | None
) -> float:
    """:func:`score` of ``target`` against a signature still in its stored bytes (what a
    look-up does for each candidate: no sets built for the candidate)."""
    theirs = unpack(terms_blob)
    whole = _jaccard_sorted(target.terms, theirs)
    if target.mode_terms and mode_blob:
        mode = _jaccard_sorted(target.mode_terms, unpack(mode_blob))
        return round(MODE_WEIGHT * mode + (1 - MODE_WEIGHT) * whole, 4)
    return round(whole, 4)


def _jaccard_sorted(a: frozenset[int], b: tuple[int, ...]) -> float:
    """:func:`jaccard` of a set and the distinct values of a packed (sorted) set."""
    if not a or not b:
        return 0.0
    inter = len(a.intersection(b))
    return inter / (len(a) + len(b) - inter)


# --- storage: compact bytes for a database BLOB column ------------------------------------


def pack(values: Iterable[int]) -> bytes:
    """Unsigned 32-bit values, sorted, little-endian."""
    ordered = sorted(values)
    return struct.pack(f"<{len(ordered)}I", *ordered)


def pack_sketch(values: Sequence[int]) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)


def unpack(data: bytes | memoryview | None) -> tuple[int, ...]:
    if not data:
        return ()
    raw = bytes(data)
    if len(raw) % 4:
        raise ValueError(f"a packed signature is a multiple of 4 bytes long; got {len(raw)}")
    return struct.unpack(f"<{len(raw) // 4}I", raw)


def stored(
    terms_blob: bytes | memoryview | None,
    mode_blob: bytes | memoryview | None,
    sketch_blob: bytes | memoryview | None = None,
) -> Signature:
    """A :class:`Signature` back from its stored bytes."""
    return Signature(
        frozenset(unpack(terms_blob)), frozenset(unpack(mode_blob)), unpack(sketch_blob)
    )


@dataclass(frozen=True)
class Match:
    """An earlier incident like this one: its key (an id) and the exact score."""

    key: int
    score: float


def rank(
    target: Signature,
    candidates: Iterable[tuple[int, Signature]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 5,
) -> list[Match]:
    """The candidates scoring at least ``threshold``, best first (ties: the later key,
    i.e. the more recent incident, first), at most ``limit``."""
    found = [Match(key, score(target, sig)) for key, sig in candidates]
    kept = [m for m in found if m.score >= threshold]
    kept.sort(key=lambda m: (-m.score, -m.key))
    return kept[:limit]

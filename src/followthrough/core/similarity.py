"""Near-duplicate text at corpus scale, standard library only.

Used by the linter (copy-paste passages, repeat incidents) and by the repeat-incident
detection of the effectiveness reports. The approach, in three steps:

1. **Shingling.** A text becomes the set of its word n-grams (``k`` words; ``k=1`` is a bag
   of content words). Words are hashed with CRC-32 (memoised per process), which is
   deterministic across processes (Python's ``hash(str)`` is not), and n-grams as tuples of
   those integers. A document's passages are shingled together (:func:`shingle_sets`: one
   split, one hashing pass, one slice per passage), so the per-text cost is a few C calls.
2. **MinHash sketch + LSH buckets.** Sorting a set's hashes and keeping the smallest ``b``
   is a one-permutation MinHash (bottom-b) sketch: two sets share their minimum with
   probability equal to their Jaccard similarity, so sets that share any sketch value are
   candidate pairs. Each sketch value is an LSH bucket. Values held by a crowd of sets
   (boilerplate shingles) are dropped from the buckets, which keeps the candidate count
   near-linear; identical sets are grouped first (counted in C) and sketched once.
3. **Verification.** Every candidate pair's exact Jaccard similarity is computed from the
   shingle sets, so reported scores are exact and the sketch only decides who is compared.

Cost is linear in the total text plus the number of candidate pairs; there is no all-pairs
step.

Comparing for meaning rather than for copying (repeat incidents in the linter and the
service's similar-incident suggestions) goes through one normalisation,
:func:`normal_words`: abbreviations written out, irregular forms, the English Snowball
stemmer and a small synonym table, all from ``word_forms.toml`` beside this module.
"""

from __future__ import annotations

import gc
import math
import sys
import zlib
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate, chain, compress, islice, repeat
from operator import eq, itemgetter, lt, methodcaller, not_, sub
from pathlib import Path
from typing import Generic, TypeVar

from followthrough.core.regex import lazy
from followthrough.core.stopwords import STOPWORDS

K = TypeVar("K", bound=Hashable)

_TOKEN = lazy(r"[a-z0-9]+(?:['.][a-z0-9]+)*")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; numbers (tokens starting with a digit) collapse to ``#`` so
    "3 users" and "5 users" match."""
    return ["#" if t[0].isdigit() else t for t in _TOKEN.findall(text.lower())]


#: raw token -> the content word it stands for, or "" for a stop word or number; memoised
#: per process (a vocabulary is small and a corpus repeats it)
_CONTENT_WORDS: dict[str, str] = {}


def _content_word(token: str) -> str:
    if token[0].isdigit() or token in STOPWORDS:
        word = ""
    elif len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
        word = token[:-1]
    else:
        word = token
    if len(_CONTENT_WORDS) < _MAX_WORDS:
        _CONTENT_WORDS[token] = word
    return word


# --- words compared for meaning ----------------------------------------------------------

#: the word table (abbreviations, irregular forms, synonyms): data a reviewer reads
WORD_FORMS = Path(__file__).with_name("word_forms.toml")


@dataclass(frozen=True)
class _Forms:
    """The word table and the stemmer, loaded at the first word compared for meaning (a
    one-file lint never needs them)."""

    abbreviations: dict[str, tuple[str, ...]]
    irregular: dict[str, str]
    synonyms: dict[str, tuple[str, ...]]
    stem: Callable[[str], str]


@cache
def _forms() -> _Forms:
    """The tables of ``word_forms.toml``: abbreviations (word -> words), irregular forms
    (word -> word), and synonyms keyed by the stem of the word (stem -> stems)."""
    import tomllib

    import snowballstemmer  # type: ignore[import-untyped]

    stem: Callable[[str], str] = snowballstemmer.stemmer("english").stemWord
    data = tomllib.loads(WORD_FORMS.read_text(encoding="utf-8"))
    abbreviations = {k: tuple(str(v).lower().split()) for k, v in data["abbreviations"].items()}
    irregular = {k: str(v).lower() for k, v in data["irregular"].items()}
    synonyms = {
        stem(k): tuple(stem(w) for w in str(v).lower().split() if w not in STOPWORDS)
        for k, v in data["synonyms"].items()
    }
    return _Forms(abbreviations, irregular, synonyms, stem)


@cache
def word_forms_digest() -> str:
    """What the word table holds, in short: words normalised under another table are other
    words."""
    import hashlib

    return hashlib.sha256(WORD_FORMS.read_bytes()).hexdigest()[:16]


#: raw token -> its normal words; memoised per process
_NORMAL: dict[str, tuple[str, ...]] = {}


def normal_word(token: str) -> tuple[str, ...]:
    """The normal words a lower-case token stands for: none for a stop word or a number;
    otherwise the abbreviation written out, each word's irregular form undone, stemmed, and
    mapped through the synonyms ("cert" -> ("certif",), "lapsed" -> ("expir",))."""
    found = _NORMAL.get(token)
    if found is not None:
        return found
    if not token or token[0].isdigit() or token in STOPWORDS:
        found = ()
    else:
        if not _KEPT_WORDS.loaded:
            _KEPT_WORDS.load()
            found = _NORMAL.get(token)
            if found is not None:
                return found
        forms = _forms()
        out: list[str] = []
        for word in forms.abbreviations.get(token, (token,)):
            if word in STOPWORDS:
                continue
            stem = forms.stem(forms.irregular.get(word, word))
            out.extend(forms.synonyms.get(stem, (stem,)))
        found = tuple(out)
        _KEPT_WORDS.add(token, found)
    if len(_NORMAL) < _MAX_WORDS:
        _NORMAL[token] = found
    return found


def load_word_forms() -> None:
    """Read the word table, import the stemmer and the words earlier runs kept, now (a
    server at start): otherwise they load at the first word met that was not kept."""
    _forms()
    if not _KEPT_WORDS.loaded:
        _KEPT_WORDS.load()


class _KeptWords:
    """The normal words of the tokens earlier runs worked out, kept between runs in the
    cache folder beside the compiled patterns (:func:`followthrough.core.regex.kept_file`):
    a run whose tokens were all met before loads neither the word table nor the stemmer
    (about 20 ms of a folder lint, in each process). The file holds data only (a marshal
    of strings: token -> words, checked for those types when read), at most
    :data:`MAX_KEPT_WORDS` tokens, under a key made of everything the words depend on
    (:func:`_normalisation_key`): anything else found there is ignored and written anew."""

    def __init__(self) -> None:
        self.loaded = False
        self.words: dict[str, tuple[str, ...]] = {}
        self.added = False
        self.path: Path | None = None
        self.key = ""

    def load(self) -> None:
        import marshal

        from followthrough.core.regex import kept_file, read_kept

        self.loaded = True
        self.path = kept_file("normal-words.marshal")
        if self.path is None:
            return
        import atexit

        try:
            self.key = _normalisation_key()
        except (OSError, ImportError, ValueError):
            self.path = None  # cannot tell what the words depend on: keep none
            return
        atexit.register(self.save)  # (a forked worker exits without it: its words are lost)
        data = read_kept(self.path)
        if data is None:
            return  # none yet, damaged or not the user's alone: written anew (or not at all)
        try:
            kept = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return  # damaged: written anew
        if _kept_words_valid(kept, self.key):
            self.words = kept[1]
            _NORMAL.update(self.words)

    def add(self, token: str, words: tuple[str, ...]) -> None:
        if self.path is not None and len(self.words) < MAX_KEPT_WORDS:
            self.words[token] = words
            self.added = True

    def save(self) -> None:
        """Write the words if this run worked out new ones (at exit: once per run)."""
        if self.added and self.path is not None:
            import marshal

            from followthrough.core.regex import write_kept

            write_kept(self.path, marshal.dumps((self.key, self.words)))
            self.added = False


#: the most tokens whose normal words are kept between runs (~50 bytes each)
MAX_KEPT_WORDS = 50_000
_KEPT_WORDS = _KeptWords()


def _kept_words_valid(kept: object, key: str) -> bool:
    """Is ``kept`` the words of this normalisation: (key, {token: (word, ...)}), strings only?"""
    if not (isinstance(kept, tuple) and len(kept) == 2 and kept[0] == key):
        return False
    words = kept[1]
    return (
        type(words) is dict
        and set(map(type, words)) <= {str}
        and set(map(type, words.values())) <= {tuple}
        and set(map(type, chain.from_iterable(words.values()))) <= {str}
    )


def _normalisation_key() -> str:
    """What the normal words depend on, in short: the word table, this module's code, the
    Python version and the stemmer snowballstemmer runs (its own English stemmer, or
    PyStemmer's when that is installed). Found without importing the stemmer."""
    import importlib.util

    parts = [WORD_FORMS.read_bytes(), Path(__file__).read_bytes(), sys.version.encode()]
    for name in ("Stemmer", "snowballstemmer"):
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        if origin is None:
            parts.append(f"no {name}".encode())
        elif name == "Stemmer":
            stat = origin.stat()
            parts.append(f"{origin} {stat.st_size} {stat.st_mtime_ns}".encode())
        else:
            for module in ("__init__.py", "basestemmer.py", "among.py", "english_stemmer.py"):
                parts.append(origin.with_name(module).read_bytes())
    return "-".join(f"{zlib.crc32(part):08x}" for part in parts)


def normal_words(text: str) -> list[str]:
    """The words of ``text`` as compared for meaning, in order: stop words and numbers out,
    every other word through :func:`normal_word`. Two wordings of one failure ("the TLS
    cert lapsed", "TLS certificate expiry") give the same words."""
    low = text.lower()
    if not low.isascii():
        return list(chain.from_iterable(map(normal_word, _TOKEN.findall(low))))
    return _words_by_run(low, _NORMAL_RUNS, _normal_run)


#: a run of token characters -> its normal words; memoised per process
_NORMAL_RUNS: dict[bytes, tuple[str, ...]] = {}


def _normal_run(run: bytes) -> tuple[str, ...]:
    words = tuple(chain.from_iterable(map(normal_word, _TOKEN.findall(run.decode()))))
    if len(_NORMAL_RUNS) < _MAX_WORDS:
        _NORMAL_RUNS[run] = words
    return words


def _words_by_run(
    low: str, known: dict[bytes, tuple[str, ...]], words_of: Callable[[bytes], tuple[str, ...]]
) -> list[str]:
    """The words of lower-case ASCII ``low``, run by run: no token crosses a separator, so
    the tokens of the text are those of its runs of token characters, each looked up once
    in ``known`` (one C call when every run is known), else made by ``words_of``."""
    runs = low.encode().translate(_TOKEN_SPACE).split()
    if len(runs) > 1:
        try:
            return list(chain.from_iterable(itemgetter(*runs)(known)))
        except KeyError:
            pass
    out: list[str] = []
    for run in runs:
        words = known.get(run)
        out.extend(words_of(run) if words is None else words)
    return out


#: separators of :data:`_TOKEN` become spaces; letters, digits, ``'`` and ``.`` stay
_ALNUM = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_NOT_TOKEN = bytes(range(128)).translate(None, _ALNUM + b"'.")
_TOKEN_SPACE = bytes.maketrans(_NOT_TOKEN, b" " * len(_NOT_TOKEN))
#: a run of letters, digits, ``'`` and ``.`` -> its content words; memoised per process (a
#: folder repeats its vocabulary, and most runs are one plain word)
_RUN_WORDS: dict[bytes, tuple[str, ...]] = {}


def _run_words(run: bytes) -> tuple[str, ...]:
    known = _CONTENT_WORDS
    words = []
    for t in _TOKEN.findall(run.decode()):
        word = known.get(t)
        if word is None:
            word = _content_word(t)
        if word:
            words.append(word)
    out = tuple(words)
    if len(_RUN_WORDS) < _MAX_WORDS:
        _RUN_WORDS[run] = out
    return out


def content_tokens(text: str) -> list[str]:
    """Tokens without stop words, with a light plural strip ("alerts" ~ "alert")."""
    low = text.lower()
    if low.isascii():
        return _words_by_run(low, _RUN_WORDS, _run_words)
    known = _CONTENT_WORDS
    out = []
    for t in _TOKEN.findall(low):
        word = known.get(t)
        if word is None:
            word = _content_word(t)
        if word:
            out.append(word)
    return out


#: raw token -> CRC-32 of the word it stands for (numbers all stand for "#"); a vocabulary
#: is small and a corpus repeats it, so each word is hashed once per process
_WORD_IDS: dict[str | bytes, int] = {}
_MAX_WORDS = 1 << 20
_HASH_MARK = zlib.crc32(b"#")


def _word_ids(words: list[str] | list[bytes]) -> list[int]:
    """CRC-32 of each raw token (``#`` for a number), memoised. Tokens may be ``str`` or
    ASCII ``bytes``: the same word gets the same id either way."""
    ids = _WORD_IDS
    if len(words) > 1:
        try:
            return list(itemgetter(*words)(ids))  # every word seen before: one C call
        except KeyError:
            pass
    out: list[int] = []
    for word in words:
        value = ids.get(word)
        if value is None:
            raw = word.encode() if isinstance(word, str) else word
            value = _HASH_MARK if raw[:1].isdigit() else zlib.crc32(raw)
            if len(ids) < _MAX_WORDS:
                ids[word] = value
        out.append(value)
    return out


_SEPARATOR_BYTES = bytes(range(128)).translate(None, _ALNUM)
#: separators become spaces and every digit a ``0``: a number's hash is ``#`` whatever its
#: digits, so folding them keeps the word memo small (ticket numbers and amounts would
#: otherwise each take an entry and miss the memo's one-call fast path)
_TO_SPACE = bytes.maketrans(
    _SEPARATOR_BYTES + b"123456789", b" " * len(_SEPARATOR_BYTES) + b"000000000"
)
_UNICODE_SEPARATORS = lazy(r"[\W_]+")


def _shingle_words(text: str) -> list[str] | list[bytes]:
    """The words n-grams are made of: runs of letters and digits, lower-cased. ASCII text
    (nearly all of it) is split by one C-speed byte translation."""
    low = text.lower()
    if low.isascii():
        return low.encode().translate(_TO_SPACE).split()
    return _UNICODE_SEPARATORS.sub(" ", low).split()


def shingles(text: str, k: int = 3) -> frozenset[int]:
    """Hashes of the word ``k``-grams of ``text`` (content words when ``k == 1``).

    Words (runs of letters and digits; numbers count as one word, ``#``) are CRC-32 hashed
    and n-grams are hashed as tuples of those integers: both are deterministic across
    processes, unlike ``hash(str)``."""
    if k == 1:
        return word_set(content_tokens(text))
    ids = _word_ids(_shingle_words(text))
    if len(ids) < k:
        return frozenset([hash(tuple(ids))]) if ids else frozenset()
    if k == 3:
        return frozenset(map(hash, zip(ids, ids[1:], ids[2:], strict=False)))
    return frozenset(map(hash, zip(*(ids[i:] for i in range(k)), strict=False)))


_NOTHING: frozenset[int] = frozenset()
_TRANSLATE = methodcaller("translate", _TO_SPACE)


def shingle_sets(texts: Sequence[str], k: int = 3) -> list[frozenset[int]]:
    """``[shingles(text, k) for text in texts]``, computed together: every step (lower,
    split, word ids, n-gram hashes) runs once over all the texts in C, and each text's
    n-grams are a slice of the whole (the few that straddle two texts are dropped). Many
    short texts (a document's passages) cost a few C calls each instead of a dozen."""
    batch = _batched(texts, k)
    if batch is None:
        return [shingles(text, k) for text in texts]
    ids, hashes, starts, ends = batch
    if min(map(sub, ends, starts)) >= k:  # every text has a whole n-gram: all in C
        stops = [end - k + 1 for end in ends]
        return list(map(frozenset, map(hashes.__getitem__, map(slice, starts, stops))))
    out: list[frozenset[int]] = []
    for start, end in zip(starts, ends, strict=True):
        size = end - start
        if size >= k:
            out.append(frozenset(hashes[start : end - k + 1]))
        elif size:
            out.append(frozenset([hash(tuple(ids[start:end]))]))
        else:
            out.append(_NOTHING)
    return out


def _batched(
    texts: Sequence[str], k: int
) -> tuple[list[int], list[int], list[int], list[int]] | None:
    """The word ids and n-gram hashes of ``texts`` run together, and where each text's
    words start and end; None when they are not made so (one text, ``k`` under 2, text
    that is not ASCII)."""
    if k < 2 or len(texts) < 2:
        return None
    lowered = list(map(str.lower, texts))
    if not all(map(str.isascii, lowered)):
        return None
    split = list(map(bytes.split, map(_TRANSLATE, map(str.encode, lowered))))
    ids = _word_ids(list(chain.from_iterable(split)))
    if k == 3:
        hashes = list(map(hash, zip(ids, ids[1:], ids[2:], strict=False)))
    else:
        hashes = list(map(hash, zip(*(ids[i:] for i in range(k)), strict=False)))
    ends = list(accumulate(map(len, split)))
    return ids, hashes, [0, *ends[:-1]], ends


def packed(sets: Iterable[frozenset[int]]) -> tuple[array[int], array[int]]:
    """Shingle sets as :class:`NearDuplicateIndex` keeps them, and as a worker process sends
    them: every set's hashes sorted, one set after another (64-bit integers in one array),
    and where each set ends (an empty set ends where the one before it does)."""
    hashes: array[int] = array("q")
    ends: array[int] = array("q")
    for shingle_set in sets:
        hashes.fromlist(sorted(shingle_set))  # (twice as fast as extend)
        ends.append(len(hashes))
    return hashes, ends


def packed_shingles(texts: Sequence[str], k: int = 3) -> tuple[array[int], array[int]]:
    """``packed(shingle_sets(texts, k))`` without a set per text: a text's n-gram hashes
    are sorted where they lie, and only a text that repeats an n-gram is made a set."""
    batch = _batched(texts, k)
    if batch is None:
        return packed(shingle_sets(texts, k))
    ids, hashes, starts, ends = batch
    out: array[int] = array("q")
    stops: array[int] = array("q")
    for start, end in zip(starts, ends, strict=True):
        if end - start >= k:
            run = hashes[start : end - k + 1]
            run.sort()
            if any(map(eq, run, islice(run, 1, None))):
                run = sorted(set(run))
            out.fromlist(run)
        elif end > start:
            out.append(hash(tuple(ids[start:end])))
        stops.append(len(out))
    return out, stops


def word_set(words: Iterable[str]) -> frozenset[int]:
    """The ``k == 1`` shingle set of content words already made by :func:`content_tokens`:
    ``word_set(content_tokens(text)) == shingles(text, 1)``."""
    return frozenset(_word_ids(list(words)))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def normalized(text: str) -> str:
    """The text as compared for exact duplicates: tokens joined by single spaces."""
    return " ".join(tokens(text))


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk step that allocates many small
    containers and frees none of them (indexing a folder's passages): otherwise each
    allocation burst triggers collections that walk every live object, documents included,
    which cost more than the step itself. Reference counting still frees memory; the
    collector is restored (if it was on) on the way out."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: how many of a set's smallest hashes are compared before all of them
#: (:meth:`NearDuplicateIndex._classes`)
_HEAD = 16


@dataclass
class NearDuplicateIndex(Generic[K]):
    """Collects texts, then reports pairs from different groups whose shingle sets have a
    Jaccard similarity of at least ``threshold``.

    ``group`` is usually the document: passages of the same document are never paired.
    A text met before (a stock phrase, a pasted paragraph) reuses its shingles.
    """

    k: int = 3
    threshold: float = 0.8
    sketch_size: int = 6
    max_bucket: int = 64
    bucket_peers: int = 4
    _keys: list[K] = field(default_factory=list)
    _groups: list[Hashable] = field(default_factory=list)
    #: the shingle sets, packed: each set's hashes sorted, one set after another (a
    #: frozenset of 40 hashes takes ten times the memory), in blocks: the index's own
    #: first, then each block given to :meth:`add_packed`, kept as it was given (a folder's
    #: sets are not copied); for each set, its block and where it starts and ends there
    _blocks: list[array[int]] = field(default_factory=lambda: [array("q")])
    _block: array[int] = field(default_factory=lambda: array("I"))
    _starts: array[int] = field(default_factory=lambda: array("q"))
    _ends: array[int] = field(default_factory=lambda: array("q"))
    _memo: dict[str, frozenset[int]] = field(default_factory=dict)

    def add(self, key: K, text: str, group: Hashable) -> bool:
        """Index ``text``; False (and nothing indexed) when it has no words."""
        sh = self._memo.get(text)
        if sh is None:
            sh = self._memo[text] = shingles(text, self.k)
        return self.add_set(key, sh, group)

    def add_set(self, key: K, shingle_set: frozenset[int], group: Hashable) -> bool:
        """Index a shingle set made beforehand (by :func:`shingles` with this index's ``k``,
        or :func:`word_set` when ``k == 1``); False when it is empty."""
        if not shingle_set:
            return False
        self._keys.append(key)
        self._groups.append(group)
        self._add_own(sorted(shingle_set))
        return True

    def _add_own(self, hashes: Iterable[int]) -> None:
        own = self._blocks[0]
        self._block.append(0)
        self._starts.append(len(own))
        own.extend(hashes)
        self._ends.append(len(own))

    def add_many(self, keys: Sequence[K], texts: Sequence[str], group: Hashable) -> int:
        """Index several texts of one group (a document's passages) at once, shingled by
        :func:`shingle_sets`; returns how many had words and were indexed."""
        sets = shingle_sets(texts, self.k)
        if len(sets) != len(keys):
            raise ValueError(f"{len(keys)} keys for {len(sets)} texts")
        words = list(map(bool, sets))
        added = sum(words)
        self._keys.extend(compress(keys, words))
        self._groups.extend(repeat(group, added))
        for shingle_set in compress(sets, words):
            self._add_own(sorted(shingle_set))
        return added

    def add_packed(
        self, keys: Sequence[K], hashes: array[int], ends: Sequence[int], group: Hashable
    ) -> int:
        """Index several shingle sets of one group made beforehand and packed as this index
        keeps them (:func:`packed`: each set's hashes sorted, ``ends[i]`` where set ``i``
        ends in ``hashes``); empty sets are skipped. Returns how many were indexed.

        ``hashes`` is kept, not copied: it must not change afterwards."""
        if len(ends) != len(keys):
            raise ValueError(f"{len(keys)} keys for {len(ends)} sets")
        if len(keys) == 1:  # (one set: a repeat-incident word set)
            return self._add_one(keys[0], hashes, ends[0], group)
        starts = [0, *ends[:-1]]
        kept = list(map(lt, starts, ends))  # (an empty set ends where it starts)
        added = kept.count(True)
        if not added:
            return 0
        if added < len(kept):
            keys = list(compress(keys, kept))
            starts = list(compress(starts, kept))
            ends = list(compress(ends, kept))
        self._keys.extend(keys)
        self._groups.extend(repeat(group, added))
        self._block.extend(repeat(len(self._blocks), added))
        self._starts.fromlist(starts)
        self._ends.fromlist(list(ends))
        self._blocks.append(hashes)
        return added

    def _add_one(self, key: K, hashes: array[int], end: int, group: Hashable) -> int:
        if not end:
            return 0
        self._keys.append(key)
        self._groups.append(group)
        self._block.append(len(self._blocks))
        self._starts.append(0)
        self._ends.append(end)
        self._blocks.append(hashes)
        return 1

    def __len__(self) -> int:
        return len(self._keys)

    def _classes(self) -> tuple[dict[int, list[int]], list[tuple[int, int, float]]]:
        """Classes of identical shingle sets with more than one member (by their first
        member; members in insertion order) and the near-duplicate pairs between class
        representatives (the first member; a set met once is its own representative),
        verified by exact Jaccard."""
        blocks = self._blocks
        block = self._block
        starts = self._starts
        ends = self._ends
        n = len(ends)

        def set_hashes(i: int) -> array[int]:
            return blocks[block[i]][starts[i] : ends[i]]

        # most sets are met once: count them in C and group only the repeated ones (a
        # set's sorted hashes as bytes stand for it: equal bytes, equal sets). Only the
        # bytes' hash is kept of every set (the bytes of a folder's 200,000 sets would take
        # 80 MB); the sets whose hash is met twice are grouped by their bytes.
        digests = [
            hash(blocks[b][s:e].tobytes()) for b, s, e in zip(block, starts, ends, strict=True)
        ]
        counts = Counter(digests)
        exact: dict[int, list[int]] = {}
        if len(counts) == n:
            reps: Sequence[int] = range(n)
        else:
            repeated = {digest for digest, count in counts.items() if count > 1}
            is_repeated = list(map(repeated.__contains__, digests))
            first: dict[bytes, list[int]] = {}
            for i in compress(range(n), is_repeated):
                key = set_hashes(i).tobytes()
                members = first.get(key)
                if members is None:
                    first[key] = exact[i] = [i]
                else:
                    members.append(i)
            del first
            reps = sorted(chain(compress(range(n), map(not_, is_repeated)), exact))
            # two different sets of one hash are each a class of one: no class
            exact = {i: members for i, members in exact.items() if len(members) > 1}
        del digests, counts
        # bottom-``sketch_size`` sketches of the representatives (the first hashes of a
        # sorted set); most sketch values belong to one set: count them in C, then bucket
        # only the values two to ``max_bucket`` sets share (the rest can make no pair)
        # (the sketches one after another in one array: a folder's million values as
        # Python integers in lists would take ten times the memory)
        size = self.sketch_size
        lengths = [min(size, ends[r] - starts[r]) for r in reps]
        sketches = array(
            "q",
            chain.from_iterable(
                blocks[block[r]][starts[r] : starts[r] + length]
                for r, length in zip(reps, lengths, strict=True)
            ),
        )
        counts_of_values = Counter(sketches)
        max_bucket = self.max_bucket
        shared = {value for value, c in counts_of_values.items() if 1 < c <= max_bucket}
        del counts_of_values
        buckets: dict[int, list[int]] = {}
        if shared:
            # (value, representative) in representative order, only the shared values
            owners = chain.from_iterable(map(repeat, reps, lengths))
            for value, rep in compress(
                zip(sketches, owners, strict=True), map(shared.__contains__, sketches)
            ):
                bucket = buckets.get(value)
                if bucket is None:
                    buckets[value] = [rep]
                else:
                    bucket.append(rep)
        del sketches, lengths, shared
        return exact, self._verified(buckets, set_hashes)

    def _verified(
        self, buckets: dict[int, list[int]], set_hashes: Callable[[int], array[int]]
    ) -> list[tuple[int, int, float]]:
        """The candidate pairs of the buckets whose exact Jaccard similarity reaches the
        threshold, each pair once (a pair may share several buckets). Each member meets the
        bucket's first few (``bucket_peers``): a crowd of near-copies costs linear time, and
        every copy still finds its cluster; only those few are made sets (kept packed, the
        index holds a tenth of their memory).

        Nearly every candidate falls short (most share a stock phrase's trigram): a peer's
        set is first intersected with each partner's smallest hashes, all partners in one C
        loop, and a partner that misses too many of them for the threshold to be reached
        however the rest compare (the score grows with the intersection) goes no further."""
        blocks, block, starts, ends = self._blocks, self._block, self._starts, self._ends
        sizes = list(map(sub, ends, starts))
        seen: set[tuple[int, int]] = set()
        near: list[tuple[int, int, float]] = []
        threshold = self.threshold
        # Jaccard is at most the ratio of the two sizes: pairs too unequal are not compared
        # (a threshold the config allows may be as small as a rounding margin: none then are)
        ratio = max(threshold - 1e-9, 0.0)
        peers = self.bucket_peers
        for members in buckets.values():
            count = len(members)
            held = list(map(sizes.__getitem__, members))
            heads: list[list[int]] = [[]] * count
            for y in range(min(count - 1, peers)):
                size_b = held[y]
                low, high = ratio * size_b, (size_b / ratio if ratio else math.inf)
                later = [j for j in range(y + 1, count) if low <= held[j] <= high]
                if not later:
                    continue
                for j in later:
                    if not heads[j]:
                        m = members[j]
                        heads[j] = blocks[block[m]][
                            starts[m] : min(starts[m] + _HEAD, ends[m])
                        ].tolist()
                set_b = frozenset(set_hashes(members[y]))
                inters = map(len, map(set_b.intersection, map(heads.__getitem__, later)))
                for j, inter in zip(later, inters, strict=True):
                    size_a = held[j]
                    if size_a > _HEAD:
                        most = inter + size_a - _HEAD
                        if most / (size_a + size_b - most) < threshold:
                            continue
                        inter = len(set_b.intersection(set_hashes(members[j])))
                    score = inter / (size_a + size_b - inter)
                    if score >= threshold:
                        a, b = members[j], members[y]
                        pair = (b, a) if b < a else (a, b)
                        if pair not in seen:
                            seen.add(pair)
                            near.append((pair[0], pair[1], score))
        return near

    def _members(self, exact: dict[int, list[int]], rep: int) -> list[int]:
        """The class of a representative: its identical sets, or itself alone."""
        return exact.get(rep) or [rep]

    def neighbours(
        self, limit: int = 5, *, earlier_only: bool = False
    ) -> Iterator[tuple[K, list[tuple[K, float]], int]]:
        """For every text with at least one similar text in another group: its key, up to
        ``limit`` similar keys (best score first, then insertion order) and how many there
        are in all. With ``earlier_only``, only texts added before it count.

        Identical texts are handled as one class, so a passage repeated in thousands of
        documents costs ``limit`` per copy, not a pair per two copies."""
        for key, similar, total, _ in self._neighbours(limit, earlier_only):
            yield key, similar, total

    def earlier_neighbours(
        self, limit: int = 5
    ) -> Iterator[tuple[K, list[tuple[K, float]], int, int]]:
        """:meth:`neighbours` with ``earlier_only``, and with each text also how many similar
        texts there are in other groups, before it or after it (how widely it is shared)."""
        return self._neighbours(limit, True)

    def _neighbours(
        self, limit: int, earlier_only: bool
    ) -> Iterator[tuple[K, list[tuple[K, float]], int, int]]:
        keys = self._keys
        groups = self._groups
        exact, near = self._classes()
        found: dict[int, list[tuple[float, int]]] = defaultdict(list)
        totals: dict[int, int] = defaultdict(int)
        everywhere: dict[int, int] = defaultdict(int)

        def link(members: list[int], others: list[int], score: float) -> None:
            positions: dict[Hashable, list[int]] = defaultdict(list)
            for pos, y in enumerate(others):
                positions[groups[y]].append(pos)
            negative = -score
            for x in members:
                group = groups[x]
                everywhere[x] += len(others) - len(positions[group])
                hi = bisect_left(others, x) if earlier_only else len(others)
                total = hi - bisect_left(positions[group], hi)
                if not total:
                    continue
                totals[x] += total
                picked = 0
                into = found[x]
                for y in others[:hi]:
                    if groups[y] != group:
                        into.append((negative, y))
                        picked += 1
                        if picked == limit:
                            break

        for members in exact.values():
            if len(members) > 1:
                link(members, members, 1.0)
        for a, b, score in near:
            class_a = self._members(exact, a)
            class_b = self._members(exact, b)
            link(class_a, class_b, score)
            link(class_b, class_a, score)
        for x in sorted(found):
            best = sorted(found[x])[:limit]
            yield (
                keys[x],
                [(keys[y], -negative) for negative, y in best],
                totals[x],
                everywhere[x],
            )

    def pairs(self) -> Iterator[tuple[K, K, float]]:
        """Each similar pair across groups once, ``(earlier key, later key, score)``, in
        insertion order. Quadratic in the size of a class of identical texts: for large
        corpora with much repetition use :meth:`neighbours`."""
        keys = self._keys
        groups = self._groups
        exact, near = self._classes()
        out: list[tuple[int, int, float]] = []
        for members in exact.values():
            for x, i in enumerate(members):
                for j in members[x + 1 :]:
                    out.append((i, j, 1.0))
        for a, b, score in near:
            for i in self._members(exact, a):
                for j in self._members(exact, b):
                    out.append((min(i, j), max(i, j), score))
        out.sort()
        for i, j, score in out:
            if groups[i] != groups[j]:
                yield keys[i], keys[j], score


def similar_pairs(
    items: Iterable[tuple[K, str, Hashable]], *, k: int = 3, threshold: float = 0.8
) -> list[tuple[K, K, float]]:
    """``(key, text, group)`` items -> similar pairs across groups, with exact Jaccard scores."""
    index: NearDuplicateIndex[K] = NearDuplicateIndex(k=k, threshold=threshold)
    for key, text, group in items:
        index.add(key, text, group)
    return list(index.pairs())

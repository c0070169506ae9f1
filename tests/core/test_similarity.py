"""The near-duplicate engine behind the folder checks: its fast paths give exactly what the
plain definitions give, and its index pairs what is similar across documents only."""

from __future__ import annotations

import marshal
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followthrough.core import regex
from followthrough.core.similarity import (
    STOPWORDS,
    WORD_FORMS,
    NearDuplicateIndex,
    content_tokens,
    jaccard,
    normal_word,
    normal_words,
    packed,
    packed_shingles,
    shingle_sets,
    shingles,
    word_set,
)

BOUNDED = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

# Letters, digits and the punctuation tokenisers care about, plus non-ASCII and the marker
# byte the batch shingler joins texts with.
ALPHABET = "abcdefghij XYZ 0123456789 .'-_,:;!?()[]|\t\n\x01éİKΣ漢\u00a0"
texts = st.text(alphabet=st.sampled_from(ALPHABET), max_size=80)
prose = st.lists(
    st.sampled_from(["the", "pool", "was", "exhausted", "Alerts", "3", "v1.2", "don't", "—"]),
    max_size=25,
).map(" ".join)
any_text = st.one_of(texts, prose)

_REFERENCE_TOKEN = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")


def reference_content_tokens(text: str) -> list[str]:
    """content_tokens as documented: tokens, no stop words or numbers, plural strip."""
    out = []
    for token in _REFERENCE_TOKEN.findall(text.lower()):
        if token[0].isdigit() or token in STOPWORDS:
            continue
        if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
            token = token[:-1]
        out.append(token)
    return out


@BOUNDED
@given(any_text)
def test_content_tokens_are_the_documented_tokens_whichever_path_reads_them(text: str) -> None:
    assert content_tokens(text) == reference_content_tokens(text)
    assert content_tokens(text) == reference_content_tokens(text)  # again, from the memo


def test_content_tokens_drop_stop_words_and_numbers_and_strip_plurals() -> None:
    assert content_tokens("The 3 alerts didn't fire: v1.2 pools!") == [
        "alert",
        "didn't",
        "fire",
        "v1.2",
        "pool",
    ]


@BOUNDED
@given(st.lists(any_text, max_size=8), st.sampled_from([2, 3, 4]))
def test_shingling_texts_together_gives_each_text_its_own_shingles(
    batch: list[str], k: int
) -> None:
    assert shingle_sets(batch, k) == [shingles(text, k) for text in batch]


@BOUNDED
@given(st.lists(st.one_of(any_text, st.just("the pool the pool the pool")), max_size=8))
def test_texts_packed_without_a_set_each_are_their_shingle_sets_packed(batch: list[str]) -> None:
    """A worker packs a document's passages without making each one a set: the same
    hashes, in the same order, as packing their sets (a text that repeats a trigram too)."""
    assert packed_shingles(batch) == packed(shingle_sets(batch))


def test_a_text_shorter_than_an_n_gram_is_one_shingle_and_an_empty_one_none() -> None:
    batch = ["checkout failed", "", "the pool was exhausted", "!!"]
    sets = shingle_sets(batch)
    assert len(sets[0]) == 1 and sets[1] == frozenset() and sets[3] == frozenset()
    assert len(sets[2]) == 2


@BOUNDED
@given(any_text)
def test_a_word_set_of_content_tokens_is_the_one_word_shingle_set(text: str) -> None:
    assert word_set(content_tokens(text)) == shingles(text, 1)


def test_numbers_and_case_do_not_tell_passages_apart() -> None:
    assert shingles("Pool at 95% for 12 minutes") == shingles("pool at 80% for 3 Minutes")


PASSAGES = [
    ("a", "Our monitoring did not detect the issue quickly enough for the team to respond."),
    ("a", "Our monitoring did not detect the issue quickly enough for the team to respond!"),
    ("b", "Our monitoring did not detect the issue quickly enough for the team to respond."),
    ("c", "our monitoring did not detect the issue quickly enough for the team to react."),
    ("d", "The search index rebalance left one shard without a ready replica for an hour."),
]


def _index(one_by_one: bool) -> NearDuplicateIndex[int]:
    index: NearDuplicateIndex[int] = NearDuplicateIndex(k=3, threshold=0.8)
    if one_by_one:
        for key, (group, text) in enumerate(PASSAGES):
            index.add(key, text, group)
    else:
        for group in "abcd":
            keys = [key for key, (g, _) in enumerate(PASSAGES) if g == group]
            index.add_many(keys, [PASSAGES[key][1] for key in keys], group)
    return index


def test_the_index_pairs_near_copies_across_documents_never_within_one() -> None:
    pairs = list(_index(one_by_one=True).pairs())
    keys = {(a, b) for a, b, _ in pairs}
    assert (0, 1) not in keys  # same document
    assert {(0, 2), (1, 2)} <= keys  # identical once normalised
    assert all(4 not in pair for pair in keys)  # another text altogether
    near = {(a, b): score for a, b, score in pairs}
    assert near[(0, 2)] == 1.0
    c = shingles(PASSAGES[3][1])
    assert (0, 3) not in near or near[(0, 3)] == jaccard(shingles(PASSAGES[0][1]), c)


def test_adding_a_document_s_passages_at_once_indexes_the_same_as_one_by_one() -> None:
    assert list(_index(one_by_one=False).pairs()) == list(_index(one_by_one=True).pairs())
    assert list(_index(one_by_one=False).neighbours()) == list(_index(one_by_one=True).neighbours())


def test_neighbours_name_only_earlier_texts_when_asked() -> None:
    found = {key: similar for key, similar, _ in _index(True).neighbours(earlier_only=True)}
    assert 0 not in found and 1 not in found
    assert [key for key, _ in found[2]] == [0, 1]


def test_texts_without_words_are_not_indexed() -> None:
    index: NearDuplicateIndex[int] = NearDuplicateIndex()
    assert index.add(0, "— · —", "a") is False
    assert index.add_many([1, 2], ["!!", "the pool was exhausted"], "b") == 1
    assert len(index) == 1


def test_shingle_sets_packed_by_a_worker_index_the_same_as_the_texts() -> None:
    """What a worker process sends for a document (its passages' shingle sets, packed as
    sorted 64-bit hashes) pairs exactly as the texts themselves."""
    by_text = _index(one_by_one=False)
    by_sets: NearDuplicateIndex[int] = NearDuplicateIndex(k=3, threshold=0.8)
    for group in "abcd":
        keys = [key for key, (g, _) in enumerate(PASSAGES) if g == group]
        hashes, ends = packed(shingle_sets([PASSAGES[key][1] for key in keys]))
        by_sets.add_packed(keys, hashes, ends, group)
    assert list(by_sets.pairs()) == list(by_text.pairs())
    assert list(by_sets.neighbours()) == list(by_text.neighbours())
    assert list(by_sets.pairs())  # (there are pairs to compare)


@BOUNDED
@given(
    st.lists(st.frozensets(st.integers(1, 60), max_size=40), min_size=2, max_size=5),
    st.sampled_from([1e-12, 1e-9, 0.3, 0.5, 0.8, 0.85, 0.9, 1.0]),  # config allows (0, 1]
)
def test_sets_that_meet_in_a_bucket_are_paired_exactly_when_their_jaccard_reaches_the_threshold(
    sets: list[frozenset[int]], threshold: float
) -> None:
    """Up to five sets sharing their smallest hash all meet in its bucket: the index pairs
    those whose exact Jaccard similarity reaches the threshold, with that score, however
    early it gives up on a pair."""
    sets = [shingle_set | {0} for shingle_set in sets]  # (0: the smallest hash of every set)
    index: NearDuplicateIndex[int] = NearDuplicateIndex(threshold=threshold)
    for key, shingle_set in enumerate(sets):
        index.add_set(key, shingle_set, group=key)
    expected = [
        (a, b, jaccard(sets[a], sets[b]))
        for a in range(len(sets))
        for b in range(a + 1, len(sets))
        if jaccard(sets[a], sets[b]) >= threshold
    ]
    assert list(index.pairs()) == expected


def test_an_empty_index_finds_nothing() -> None:
    index: NearDuplicateIndex[int] = NearDuplicateIndex()
    assert index.add_packed([], *packed([]), "a") == 0
    assert list(index.pairs()) == [] and list(index.neighbours()) == []


# --- words compared for meaning (repeat incidents, similar-incident suggestions) ----------


def test_one_failure_worded_in_different_tenses_and_abbreviations_gives_the_same_words() -> None:
    wordings = (
        "TLS cert lapsed",
        "the TLS certificate expired",
        "TLS certificates expire",
        "expiry of the SSL certificate",
        "TLS certificate expiration",
    )
    assert len({frozenset(normal_words(text)) for text in wordings}) == 1


def test_irregular_verbs_and_written_out_abbreviations_meet_their_plain_forms() -> None:
    assert normal_words("the orders db ran out") == normal_words("orders database runs out")
    assert normal_words("k8s node broke") == normal_words("kubernetes nodes break")
    assert normal_words("ALB targets detached") == normal_words("load balancer target detaches")


def test_different_failures_keep_different_words() -> None:
    assert set(normal_words("certificate expired")).isdisjoint(
        normal_words("connection pool exhausted")
    )


def test_stop_words_and_numbers_are_not_words_of_meaning() -> None:
    assert normal_words("It was 503 for 12 minutes") == ["minut"]


def test_the_word_table_is_readable_data_with_every_part_a_reviewer_expects() -> None:
    table = tomllib.loads(WORD_FORMS.read_text(encoding="utf-8"))
    assert set(table) == {"abbreviations", "irregular", "synonyms"}
    assert table["abbreviations"]["cert"] == "certificate"
    assert table["synonyms"]["lapse"] == "expire"


def reference_normal_words(text: str) -> list[str]:
    """normal_words as documented: each token of the text through normal_word."""
    return [w for token in _REFERENCE_TOKEN.findall(text.lower()) for w in normal_word(token)]


@BOUNDED
@given(any_text)
def test_normal_words_are_the_documented_words_whichever_path_reads_them(text: str) -> None:
    assert normal_words(text) == reference_normal_words(text)
    assert normal_words(text) == reference_normal_words(text)  # again, from the memo


# --- normal words kept between runs ------------------------------------------------------

_NORMALISE = (
    "import sys\n"
    "from followthrough.core.similarity import normal_words\n"
    "words = normal_words('The TLS certs lapsed; pools exhausted on the partners API')\n"
    "loaded = sorted({'snowballstemmer', 'tomllib'} & set(sys.modules))\n"
    "print(' '.join(words), '|', ' '.join(loaded) or 'nothing loaded')\n"
)


def _run_with_cache(folder: Path, code: str = _NORMALISE) -> str:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "FOLLOWTHROUGH_CACHE_DIR": str(folder),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return result.stdout.strip()


def test_words_an_earlier_run_normalised_are_read_back_without_the_stemmer(
    tmp_path: Path,
) -> None:
    first = _run_with_cache(tmp_path)
    words, loaded = first.split(" | ")
    assert words == "tls certif expir pool exhaust partner api"
    assert loaded == "snowballstemmer tomllib"
    assert (tmp_path / "normal-words.marshal").stat().st_size > 0
    assert _run_with_cache(tmp_path) == f"{words} | nothing loaded"


def test_a_server_loads_the_word_table_and_the_stemmer_at_start_even_with_every_word_kept(
    tmp_path: Path,
) -> None:
    _run_with_cache(tmp_path)  # every word of the text kept
    code = _NORMALISE.replace(
        "words = ",
        "from followthrough.core.similarity import load_word_forms\nload_word_forms()\nwords = ",
    )
    assert _run_with_cache(tmp_path, code).endswith(" | snowballstemmer tomllib")


def test_kept_words_of_another_word_table_or_holding_anything_but_strings_are_ignored(
    tmp_path: Path,
) -> None:
    kept = tmp_path / "normal-words.marshal"
    expected = _run_with_cache(tmp_path).split(" | ")[0]
    key = _run_with_cache(
        tmp_path,
        "from followthrough.core import similarity\nprint(similarity._normalisation_key())",
    )
    for planted in (
        ("another table", {"certs": ("bogus",)}),  # what an older word table made
        (key, {"certs": compile("print('ran')", "kept", "exec")}),  # not data
        (key, {"certs": ("bogus", 1)}),
    ):
        data = marshal.dumps(planted)
        kept.write_bytes(regex.digest(data) + data)  # (its digest right: its types checked)
        assert _run_with_cache(tmp_path) == f"{expected} | snowballstemmer tomllib"
    kept.write_bytes(b"\x00damaged")
    assert _run_with_cache(tmp_path).startswith(f"{expected} | ")
    assert _run_with_cache(tmp_path) == f"{expected} | nothing loaded"  # written anew


def test_an_empty_cache_folder_setting_keeps_no_words(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "FOLLOWTHROUGH_CACHE_DIR": ""}
    env["HOME"] = str(tmp_path)
    env.pop("XDG_CACHE_HOME", None)
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", _NORMALISE], capture_output=True, text=True, check=True, env=env
        )
        assert result.stdout.strip().endswith("| snowballstemmer tomllib")
    assert list(tmp_path.iterdir()) == []

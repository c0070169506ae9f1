"""Hypothesis strategies the core's property tests share."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st


def joined(pieces: Sequence[str], gaps: Sequence[str], max_size: int) -> st.SearchStrategy[str]:
    """Texts of up to ``max_size`` of ``pieces``, each followed by one of ``gaps``."""
    return st.lists(
        st.tuples(st.sampled_from(pieces), st.sampled_from(gaps)), max_size=max_size
    ).map(lambda parts: "".join(piece + gap for piece, gap in parts))

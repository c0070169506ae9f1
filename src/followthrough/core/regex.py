"""Regular expressions compiled at their first use, not at import.

The linter holds a few hundred patterns (word lists, dates, action-item tails), and
compiling them all is most of what ``followthrough lint FILE`` used to spend before it read
the file: a pre-commit hook starts the command once per commit, and one document needs only
a fraction of the patterns. :func:`lazy` returns a stand-in that compiles its pattern the
first time a method is asked for, then keeps the compiled pattern's bound methods as its own
attributes, so every later call costs what a call on the compiled pattern costs.

``.pattern`` never compiles (patterns are built from other patterns' sources at import).
The stand-in is not a ``re.Pattern`` instance: hand it to code that calls its methods, not
to ``re.sub(pattern, ...)`` or ``isinstance`` checks (the core does neither).
"""

from __future__ import annotations

import re
from typing import Any, cast

__all__ = ["LazyPattern", "lazy"]

#: what a compiled pattern offers; copied onto the stand-in when it compiles
_FORWARDED = (
    "search",
    "match",
    "fullmatch",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "scanner",
    "flags",
    "groups",
    "groupindex",
)


class LazyPattern:
    """A pattern that compiles itself when first used (see the module's docstring)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags

    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiling it now if it is the first use)."""
        compiled = re.compile(self.pattern, self._flags)
        for name in _FORWARDED:
            setattr(self, name, getattr(compiled, name))
        return compiled

    def __getattr__(self, name: str) -> Any:
        # only reached for attributes the instance does not have yet: the first use
        if name.startswith("__") or name not in _FORWARDED:
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        return (LazyPattern, (self.pattern, self._flags))

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self._flags!r})"


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, compiled at the first call of one of its methods."""
    return cast("re.Pattern[str]", LazyPattern(pattern, flags))

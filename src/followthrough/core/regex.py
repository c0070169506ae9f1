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

Compiling is still most of what a one-file lint costs (Python's regular expression compiler
is written in Python: ~100 patterns, a quarter of the run), so what it makes of each pattern
is kept between runs: the engine's code (a list of integers) in one file of the user's cache
folder, loaded in one call, and a pattern found there is handed to the engine as
``re.compile`` would hand it. The file is named by the Python version and the engine's
format version, written only when a run compiled something new, replaced atomically, and any
doubt (another Python, a damaged file, an engine that refuses the code) falls back to
``re.compile``. ``FOLLOWTHROUGH_CACHE_DIR`` chooses the folder; set it empty to keep
nothing. The same store keeps what some patterns are assembled from (:func:`kept`: a word
list's trie, its groups by first word), which takes Python longer to work out at import
than to read back.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # the engine re.compile hands its code to
import contextlib
import os
import re
import stat
import sys
import weakref
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from hashlib import _Hash

__all__ = [
    "LazyPattern",
    "blake2b",
    "compile_all",
    "DIGEST_SIZE",
    "compile_kept",
    "digest",
    "folds_plainly",
    "kept",
    "keep_nothing",
    "kept_file",
    "open_kept",
    "read_kept",
    "trusted",
    "trusted_place",
    "lazy",
    "literal_matches",
    "write_kept",
]

#: (pattern, flags) -> (flags as compiled, engine code as bytes, groups, group names)
_Entry = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
#: a store key: (pattern, flags) for a compiled pattern, (name, inputs, type) for a value
#: kept by :func:`kept`
_Key = tuple[Any, ...]
#: a store this large is rewritten with only the patterns of the run that writes it
_MAX_KEPT = 2000


class _Store:
    """Compiled patterns kept between runs (see the module's docstring)."""

    def __init__(self) -> None:
        self.entries: dict[_Key, Any] | None = None
        self.used: set[_Key] = set()
        self.added = False
        self.path: Path | None = None

    def load(self) -> dict[_Key, Any]:
        if self.entries is None:
            self.entries = {}
            self.path = _store_path()
            if self.path is not None:
                import atexit
                import marshal

                atexit.register(self.save)
                # read whole, then parsed: marshal.load(file) calls the file's readinto for
                # every string in it
                data = read_kept(self.path)
                try:
                    entries = marshal.loads(data) if data is not None else None
                    if isinstance(entries, dict):
                        self.entries = entries
                except (EOFError, ValueError, TypeError):
                    pass  # none yet, or not readable: compiled afresh and written anew
        return self.entries

    def save(self) -> None:
        """Write the store if this run compiled something new (at exit: once per run)."""
        if not self.added or self.path is None or self.entries is None:
            return
        import marshal

        entries = self.entries
        if len(entries) > _MAX_KEPT:
            entries = {key: entries[key] for key in self.used if key in entries}
        write_kept(self.path, marshal.dumps(entries))
        self.added = False


def _store_path() -> Path | None:
    """The store's file, or None when nothing is to be kept (``FOLLOWTHROUGH_CACHE_DIR``
    empty, or an engine whose code words are not 32-bit)."""
    if array("I").itemsize != _sre.CODESIZE:
        return None
    return kept_file(f"regex-{sys.implementation.cache_tag}-{_sre.MAGIC}.marshal")


def kept_file(name: str) -> Path | None:
    """The file ``name`` of the folder where what is kept between runs is kept (the user's
    cache folder, or ``FOLLOWTHROUGH_CACHE_DIR``); None when nothing is to be kept. Only
    data goes there, never code: whoever can write the folder must not be able to make
    followthrough run anything."""
    if not _KEEPING:
        return None
    folder = os.environ.get("FOLLOWTHROUGH_CACHE_DIR")
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "followthrough")
    if not folder:
        return None
    return Path(folder) / name


#: False once :func:`keep_nothing` is called
_KEEPING = True


def keep_nothing() -> None:
    """Nothing read from the cache folder from now on, nor written to it at exit
    (``followthrough lint --no-cache``): what this process loaded already stays in use."""
    global _KEEPING
    _KEEPING = False
    _STORE.path = None


def open_kept(path: Path) -> IO[bytes]:
    """A file of the cache folder open for reading; OSError for anything but a plain file of
    the user's alone (a link or a FIFO is not followed or waited on)."""
    flags = os.O_RDONLY
    for name in ("O_NONBLOCK", "O_NOFOLLOW", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, name, 0)
    fd = os.open(path, flags)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or not trusted(status):
            raise OSError(f"{path} is not a plain file of this user's alone")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def trusted_place(path: Path) -> bool:
    """May the file ``path`` of the cache folder be read and written: its folder (if there
    is one yet) is this user's and only they can write in it."""
    try:
        status = os.stat(path.parent)
    except FileNotFoundError:
        return True  # made when written
    except OSError:
        return False
    return stat.S_ISDIR(status.st_mode) and trusted(status)


def trusted(status: os.stat_result) -> bool:
    """Is a file or folder this user's alone, as ssh asks of its files: owned by the
    effective user and writable by no one else (by its group only when that group is the
    user's own, with no other member). Always where there are no user ids (Windows)."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:
        return True
    user = geteuid()
    if status.st_uid != user or status.st_mode & stat.S_IWOTH:
        return False
    return not status.st_mode & stat.S_IWGRP or _own_group(status.st_gid, user)


def _own_group(gid: int, user: int) -> bool:
    try:
        import grp
        import pwd

        group = grp.getgrgid(gid)
        account = pwd.getpwuid(user)
    except (ImportError, KeyError):
        return False
    return account.pw_gid == gid and set(group.gr_mem) <= {account.pw_name}


#: a file written by :func:`write_kept` starts with its data's digest
DIGEST_SIZE = 16


def digest(data: bytes) -> bytes:
    """What kept data is checked against before it is parsed (a damaged file is not)."""
    return blake2b(data, digest_size=DIGEST_SIZE).digest()


def blake2b(data: bytes = b"", *, digest_size: int) -> _Hash:
    """``hashlib.blake2b``, without importing hashlib: that loads OpenSSL (~11 million
    instructions, a tenth of what a one-file lint imports besides click and the rules),
    while hashlib's blake2b is the one ``_blake2`` holds, not OpenSSL's."""
    try:
        from _blake2 import blake2b as made  # type: ignore[import-not-found]
    except ImportError:  # a Python without it
        from hashlib import blake2b as made
    return cast("_Hash", made(data, digest_size=digest_size))


def read_kept(path: Path) -> bytes | None:
    """The data :func:`write_kept` wrote to ``path``; None when there is none, or it is
    damaged (its digest does not match), or not the user's alone (:func:`open_kept`)."""
    try:
        if not trusted_place(path):
            return None
        with open_kept(path) as file:
            blob = file.read()
    except OSError:
        return None
    data = blob[DIGEST_SIZE:]
    return data if digest(data) == blob[:DIGEST_SIZE] else None


def write_kept(path: Path, data: bytes) -> None:
    """Write a file of :func:`kept_file`'s folder whole or not at all (replaced atomically:
    a run reading it meanwhile reads the old one)."""
    import tempfile

    temporary = None
    try:
        if not trusted_place(path):
            return  # (nor read)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
        with os.fdopen(fd, "wb") as file:
            file.write(digest(data) + data)
        os.replace(temporary, path)
    except OSError:
        # a cache that cannot be written (a full disk) costs the next run time, nothing else
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


_STORE = _Store()

_Value = TypeVar("_Value")


def kept(name: str, inputs: tuple[Any, ...], build: Callable[[], _Value], kind: type) -> _Value:
    """``build()``, or the value an earlier run's ``build()`` made from the same ``inputs``,
    kept in the pattern store under ``name``. ``inputs`` must be everything ``build`` reads;
    the value is one ``marshal`` writes, of type ``kind`` (anything else found in the store
    is built again)."""
    key = (name, inputs, kind.__name__)  # three items: never a compiled pattern's key
    entries = _STORE.load()
    _STORE.used.add(key)
    value = entries.get(key)
    if not isinstance(value, kind):
        value = build()
        entries[key] = value
        _STORE.added = True
    return cast("_Value", value)


def compile_kept(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, through the store of patterns kept between runs."""
    flags = int(flags)
    key = (pattern, flags)
    entries = _STORE.load()
    _STORE.used.add(key)
    entry = entries.get(key)
    if entry is not None:
        try:
            kept_flags, kept_code, kept_groups, kept_index, kept_names = entry
            words = array("I")
            words.frombytes(kept_code)
            return cast(
                "re.Pattern[str]",
                _sre.compile(
                    pattern, kept_flags, words.tolist(), kept_groups, kept_index, kept_names
                ),
            )
        except Exception:  # not what this engine expects: compile it again
            del entries[key]
    try:
        from re import _compiler, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, flags)
        code = _compiler._code(parsed, flags)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, number in groupindex.items():
            indexgroup[number] = name
        entry = (
            int(flags | parsed.state.flags),
            array("I", code).tobytes(),
            parsed.state.groups - 1,
            groupindex,
            tuple(indexgroup),
        )
        compiled = _sre.compile(pattern, entry[0], list(code), entry[2], entry[3], entry[4])
    except re.error:
        raise
    except Exception:  # another Python's compiler: compile as usual, keep nothing
        return re.compile(pattern, flags)
    entries[key] = entry
    _STORE.added = True
    return cast("re.Pattern[str]", compiled)


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
        compiled = compile_kept(self.pattern, self._flags)
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


#: the patterns :func:`lazy` made that are still alive (mostly module constants)
_MADE: weakref.WeakSet[LazyPattern] = weakref.WeakSet()


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, compiled at the first call of one of its methods."""
    made = LazyPattern(pattern, flags)
    _MADE.add(made)
    return cast("re.Pattern[str]", made)


def compile_all() -> int:
    """Compile every pattern made so far that is not compiled yet; the number compiled.

    For a long-lived process (the web server at start), where the first person to need a
    pattern would otherwise wait for it."""
    waiting = [made for made in list(_MADE) if "search" not in vars(made)]
    for made in waiting:
        made.compiled()
    return len(waiting)


def literal_matches(
    pattern: re.Pattern[str], literal: str, text: str, start: int = 0, stop: int | None = None
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text, start, stop)`` for a pattern whose every match starts with
    ``literal``: tried only where ``str.find`` finds the literal (memchr speed), not by the
    regex engine's scan, which compares every character of the text."""
    stop = len(text) if stop is None else stop
    match = pattern.match
    find = text.find
    at = find(literal, start, stop)
    while at != -1:
        found = match(text, at, stop)
        if found is None:
            at = find(literal, at + 1, stop)
        else:
            yield found
            at = find(literal, found.end(), stop)


def folds_plainly(text: str, low: str) -> bool:
    """Does a pattern written in lower case, without ``re.IGNORECASE``, match ``low``
    (``text.lower()``) where its ignore-case twin matches ``text``, at the same positions?
    Yes, unless lowering changed the length ("İ" -> "i̇") or the text holds one of the two
    letters that ignoring case equates with another ASCII letter ("ı" with "i", "ſ" with
    "s"). Such a pattern can start with a letter the engine skips to (an ignore-case
    letter cannot), so it is much cheaper to search with."""
    return len(low) == len(text) and "ı" not in text and "ſ" not in text

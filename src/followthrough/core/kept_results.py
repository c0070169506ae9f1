"""What reading each file of a lint run computed, kept between runs: a folder linted again
reads only the files that changed (as ruff, eslint ``--cache`` and mypy do).

For each Markdown file of :func:`followthrough.core.lint.lint_paths`, reported or only
compared with, the run keeps what reading it gave: its single-file findings (suppressions
not yet applied), its suppressions (:class:`~followthrough.core.lint.Marks`) and each folder
rule's signature. They are kept under a key made of everything they depend on: the file's
bytes, its path as given (findings and signatures carry it), the configuration and the code
(:func:`code_key`: this package's source and data files, the Python, the stemmer). A file
whose key is kept is not parsed again; a file that changed, a configuration that changed
and an edited rule all miss the store.

One file of the cache folder (:func:`followthrough.core.regex.kept_file`;
``FOLLOWTHROUGH_CACHE_DIR`` empty keeps nothing) holds the records one after the other,
then an index ``key -> (last run that used it, offset, length)`` and a trailer: the index's
digest, where the index starts, the format. A run reads the index alone and each record it
needs when it needs it, so memory grows with the records used, not the store. Records are
``marshal`` data of plain values made by :mod:`followthrough.core.plain` from the types'
annotations. Nothing in the file is code, and nothing in it is believed unchecked:

- each record (at most :data:`MAX_RECORD_BYTES`) and the index carry a blake2b digest,
  checked before they are parsed: a damaged disk's flipped bit is never believed, and a
  damaged length never makes ``marshal`` allocate what the file does not hold;
- a record is then checked for every type and shape (:mod:`~followthrough.core.plain`), and
  for what its readers index or decompress (:func:`_check_record`); anything odd is ignored
  and computed again, never a crash;
- a digest does not stop whoever can write the file, so the store is used only when it and
  its folder are the user's alone (:func:`followthrough.core.regex.trusted`, as ssh asks of
  its files): otherwise, or when the store is a link, a FIFO or anything but a plain file,
  it is neither read nor written (every file is read again; the report is the same).
  Whoever runs as the user can plant records anyway: they can also edit the code.

A run that computed something new writes a new file once, when its last file is read
(before the folder rules compare), and puts it in place atomically: its new records, and of
the others those used most recently, at most :data:`MAX_RECORDS` records and
:data:`MAX_BYTES` bytes. A write that fails (a full disk) leaves the old store and the
report as they are. Two runs at once each write a whole file; the last one stays. A run
killed while it wrote leaves its temporary file, removed by the next run that writes once it
is an hour old. The store is one file per cache folder, not one per code key: two installs of
different code sharing a cache folder (a pinned pre-commit hook and a development venv)
replace each other's store, and each then reads every file again once after the other ran
(kept per code key, they would double the space and the index to read, for a case that is
rare and costs one cold run). Converted files (.docx, HTML exports) are not kept: their line
maps would need keeping too, and their converters are not this package's code.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from followthrough import __version__
from followthrough.core.plain import Codec, OddData, budgeted, codec, returned_type
from followthrough.core.regex import (
    DIGEST_SIZE,
    blake2b,
    digest,
    kept_file,
    open_kept,
    trusted_place,
)
from followthrough.core.rules.base import Finding

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig
    from followthrough.core.lint import Marks
    from followthrough.core.rules.base import CorpusRule

__all__ = ["MAX_BYTES", "MAX_RECORDS", "KeptResults", "Record", "code_key"]

#: the most records kept, and the most bytes of records
MAX_RECORDS = 20_000
MAX_BYTES = 256 * 1024 * 1024
#: the most bytes one record takes (a real one takes a few kilobytes; a larger one is not
#: kept, and one said to be larger is not read)
MAX_RECORD_BYTES = 1024 * 1024
#: the store's file in the cache folder
STORE_NAME = "lint-results.bin"
#: the end of every store: its format; bumped when the layout of the file or a record changes
_MAGIC = b"FTKEPT03"
#: the index's digest, its offset (8 bytes, little-endian), then the magic
_TRAILER = DIGEST_SIZE + 16
_KEY_SIZE = 32
#: the most bytes of an index read (one of :data:`MAX_RECORDS` records takes about 60)
_MAX_INDEX_BYTES = 16 * 1024 * 1024
#: a temporary file of a run that was killed before it put its store in place is removed by
#: the next run that writes one once it is this old (seconds)
_LEFTOVER_AGE = 3600
#: what reading a damaged or hostile store may raise (marshal's own errors, a length too
#: large to allocate, a value its type does not make)
_ODD = (
    OSError,
    EOFError,
    ValueError,
    TypeError,
    OverflowError,
    MemoryError,
    RecursionError,
    OddData,
)

#: single-file findings (None when the file was only compared with), its suppressions, and
#: each enabled folder rule's signature (None when no folder rule compared it)
Record = tuple[tuple[Finding, ...] | None, "Marks", tuple[Any, ...] | None]


def code_key() -> str:
    """What the findings and signatures of a file depend on besides the file and the
    configuration: followthrough's version, the bytes of every file of this package (rules,
    word lists, the parser) and of each module's cached bytecode (what Python may run
    instead of an edited source), the Python, and what the normal words depend on
    (:func:`followthrough.core.similarity._normalisation_key`: the stemmer). A developer who
    edits a rule changes it, so no finding of the old code is ever served."""
    from followthrough.core.similarity import _normalisation_key

    hashed = blake2b(digest_size=16)
    for part in (__version__, sys.version, _normalisation_key()):
        hashed.update(part.encode() + b"\0")
    root = Path(__file__).parent
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(folder) / name
            hashed.update(path.relative_to(root).as_posix().encode() + b"\0")
            hashed.update(path.read_bytes())
            hashed.update(b"\0")
            if name.endswith(".py"):
                hashed.update(_bytecode(path))
    return hashed.hexdigest()


def _bytecode(source: Path) -> bytes:
    """The cached bytecode of the module ``source``, which Python runs instead of the source
    when its stamp matches (even if the source was edited since, keeping its size and
    time); empty when there is none."""
    from importlib.util import cache_from_source

    try:
        return Path(cache_from_source(str(source))).read_bytes() + b"\0"
    except (OSError, NotImplementedError, ValueError):
        return b"\0"


def content_digest(data: bytes) -> bytes:
    """What a file's key says of its bytes (made where the file is parsed, of those bytes)."""
    return blake2b(data, digest_size=32).digest()


def _record_codec(rules: Sequence[CorpusRule]) -> Codec:
    """The codec of a :data:`Record` of a run whose enabled folder rules are ``rules``."""
    from followthrough.core.lint import Marks

    signatures = tuple(returned_type(rule.signature) for rule in rules)
    signed: Any = tuple.__class_getitem__(signatures)
    kind: Any = tuple[tuple[Finding, ...] | None, Marks, signed | None]
    return codec(kind)


@dataclass(slots=True)
class _Entry:
    """A record of the store: the run that last used it, and where it is (in the file read
    at the start of this run, or in the one this run writes)."""

    used: int
    offset: int
    length: int
    new: bool = False


class KeptResults:
    """The records of one lint run: looked up before a file is read, added after, written
    once when the last file is read (:meth:`save`). Made by :meth:`opened`."""

    def __init__(
        self, path: Path, code: str, config: LintConfig, rules: Sequence[CorpusRule]
    ) -> None:
        self.path = path
        self.code = code
        self.codec = _record_codec(rules)
        seed = blake2b(digest_size=_KEY_SIZE)
        seed.update(f"{code}\0{config!r}\0".encode())
        self._seed = seed
        self.run = 1  # this run's number (one more than the last run that wrote the store)
        self.entries: dict[bytes, _Entry] = {}
        self._old: IO[bytes] | None = None  # the store read at the start
        self._new: IO[bytes] | None = None  # where this run's new records go
        self._new_path: Path | None = None
        self._new_bytes = 0
        self._added = 0
        self._failed = False  # a write failed: nothing more is added, nothing saved

    @classmethod
    def opened(cls, config: LintConfig, rules: Sequence[CorpusRule]) -> KeptResults | None:
        """The store of the cache folder (empty if there is none yet, or it is not one this
        code wrote); None when nothing is to be kept, or the folder or the store is not the
        user's alone (:func:`~followthrough.core.regex.trusted`): then nothing is read from
        it or written to it."""
        path = kept_file(STORE_NAME)
        if path is None or not trusted_place(path):
            return None
        try:
            kept = cls(path, code_key(), config, rules)
        except (OSError, ImportError, ValueError, TypeError):
            return None  # cannot tell what the results depend on: keep none
        return kept if kept._load() else None

    def _load(self) -> bool:
        """Read the store's index; False when the store must not be used (not a plain file
        of the user's), True otherwise (an index that is missing or damaged is left empty)."""
        try:
            file = open_kept(self.path)
        except FileNotFoundError:
            return True
        except OSError:
            return False  # a link, a FIFO, a file of someone else's: left alone
        try:
            index = _read_index(file, self.code)
        except _ODD:
            index = None
        if index is None:
            file.close()
            return True
        self._old = file
        self.run, self.entries = index
        return True

    def key(self, path: str, data: bytes) -> bytes:
        """The key of the file ``path`` (as given) whose bytes are ``data``."""
        return self.key_of(path, content_digest(data))

    def key_of(self, path: str, content: bytes) -> bytes:
        """The key of the file ``path`` whose bytes' :func:`content_digest` is ``content``."""
        hashed = self._seed.copy()
        name = os.fsencode(path)
        hashed.update(len(name).to_bytes(8, "little") + name)
        hashed.update(content)
        return hashed.digest()

    def get(self, key: bytes, *, reported: bool, compare: bool) -> Record | None:
        """The record kept under ``key``, if it has what the run needs of the file (its
        findings when it is ``reported``, its signatures when the run will ``compare``)."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        try:
            data = _checked(self._blob(entry))
            # (a record's data holds fewer items than bytes, unless it repeats containers by
            # reference: then it is refused before its converter makes billions of items)
            with budgeted(2 * len(data) + 1024):
                record: Record = self.codec.from_data(marshal.loads(data))
            _check_record(record)
        except _ODD:
            del self.entries[key]  # damaged: computed again
            return None
        found, _marks, signatures = record
        if (reported and found is None) or (compare and signatures is None):
            return None
        entry.used = self.run
        return record

    def add(self, key: bytes, record: Record) -> None:
        """Keep ``record`` under ``key`` (written to the store at :meth:`save`)."""
        if self._added >= MAX_RECORDS or self._failed:
            return
        try:
            data = marshal.dumps(self.codec.to_data(record))
        except (OddData, ValueError, TypeError):
            return  # a value its type does not describe: not kept rather than kept wrong
        blob = digest(data) + data
        if len(blob) > MAX_RECORD_BYTES or self._new_bytes + len(blob) > MAX_BYTES:
            return
        try:
            if self._new is None:
                self._new, self._new_path = _started(self.path)
            self._new.seek(self._new_bytes)
            self._new.write(blob)
        except OSError:
            self._failed = True
            self._abandon()
            return
        self.entries[key] = _Entry(self.run, self._new_bytes, len(blob), new=True)
        self._new_bytes += len(blob)
        self._added += 1

    def save(self) -> None:
        """Write the store if this run added a record: this run's records, then the others
        most recently used first, within the bounds; put in place atomically."""
        new = self._new
        try:
            if new is None or self._new_path is None:
                return
            kept = _bounded(self.entries, self._new_bytes)
            index = {
                key: (entry.used, entry.offset, entry.length)
                for key, entry in kept.items()
                if entry.new
            }
            new.flush()
            end = self._new_bytes
            if self._old is not None:
                old = sorted((e.offset, e.length, e.used, k) for k, e in kept.items() if not e.new)
                end = _copied(self._old, new, old, end, index)
            new.seek(end)
            head = marshal.dumps((self.code, self.run, index))
            new.write(head)
            new.write(digest(head) + end.to_bytes(8, "little") + _MAGIC)
            new.close()
            os.replace(self._new_path, self.path)
            self._new = self._new_path = None
        except (OSError, ValueError):
            pass  # a store that cannot be written costs the next run time, nothing else
        finally:
            self.close()

    def close(self) -> None:
        """Let go of the files and the index (what was not saved is dropped)."""
        self._abandon()
        if self._old is not None:
            self._old.close()
            self._old = None
        self.entries = {}

    def _abandon(self) -> None:
        """Drop the new file (closing it flushes it, which fails on a full disk too)."""
        if self._new is not None:
            with contextlib.suppress(OSError, ValueError):
                self._new.close()
            self._new = None
        if self._new_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._new_path)
            self._new_path = None

    def _blob(self, entry: _Entry) -> bytes:
        source = self._new if entry.new else self._old
        if source is None:
            raise OSError("the record's file is gone")
        if entry.new:
            source.flush()
        blob = _read_at(source, entry.offset, entry.length)
        if len(blob) != entry.length:
            raise EOFError("a record cut short")
        return blob


def _copied(
    source: IO[bytes],
    target: IO[bytes],
    records: list[tuple[int, int, int, bytes]],
    at: int,
    index: dict[bytes, tuple[int, int, int]],
) -> int:
    """The ``records`` (offset, length, last use, key) of the file ``source`` copied to
    ``target`` from offset ``at`` on, each run of adjacent records in one piece (by the
    kernel where it can); their places added to ``index``. The end of what was copied."""
    n = 0
    while n < len(records):
        start = records[n][0]
        stop = n + 1
        while stop < len(records) and records[stop][0] == sum(records[stop - 1][:2]):
            stop += 1
        size = sum(records[stop - 1][:2]) - start
        _copy_range(source, target, start, size, at)
        for offset, length, used, key in records[n:stop]:
            index[key] = (used, at + offset - start, length)
        at += size
        n = stop
    return at


def _copy_range(source: IO[bytes], target: IO[bytes], start: int, size: int, at: int) -> None:
    try:
        done = 0
        while done < size:
            copied = os.copy_file_range(
                source.fileno(), target.fileno(), size - done, start + done, at + done
            )
            if copied <= 0:
                raise OSError("the store was cut short while it was copied")
            done += copied
    except (AttributeError, OSError):  # not Linux, or not between these files: by hand
        target.seek(at)
        for piece in range(start, start + size, 1 << 20):
            data = _read_at(source, piece, min(1 << 20, start + size - piece))
            if not data:
                raise OSError("the store was cut short while it was copied") from None
            target.write(data)
        target.flush()


def _read_at(file: IO[bytes], offset: int, length: int) -> bytes:
    file.seek(offset)
    return file.read(length)


def _started(path: Path) -> tuple[IO[bytes], Path]:
    """A new file beside the store, to be put in its place when it is whole (the leftovers
    of runs killed before they put theirs in place removed first)."""
    import tempfile

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _remove_leftovers(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
    return os.fdopen(fd, "w+b"), Path(temporary)


def _remove_leftovers(path: Path) -> None:
    """Remove the temporary files of the store ``path`` older than :data:`_LEFTOVER_AGE`:
    those of runs that were killed (a run writes its file in well under a minute)."""
    prefix = f".{path.stem}-"
    too_old = time.time() - _LEFTOVER_AGE
    with contextlib.suppress(OSError), os.scandir(path.parent) as found:
        for entry in found:
            if not entry.name.startswith(prefix):
                continue
            with contextlib.suppress(OSError):
                status = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(status.st_mode) and status.st_mtime < too_old:
                    os.unlink(entry.path)


def _checked(blob: bytes) -> bytes:
    """The data of a record as stored (its digest, then its data), if the digest matches:
    a damaged record is never parsed."""
    data = blob[DIGEST_SIZE:]
    if digest(data) != blob[:DIGEST_SIZE]:
        raise OddData("a record whose digest does not match")
    return data


def _check_record(record: Record) -> None:
    """Raise :class:`OddData` when a record of the right types holds what its reader would
    trip on: suppressions without their excerpts, a signature that is not sound."""
    _found, marks, signatures = record
    if marks.suppressions.keys() != marks.excerpts.keys():
        raise OddData("suppressions and their excerpts do not match")
    if any(line < 0 or not refs for line, refs in marks.suppressions.items()):
        raise OddData("a suppression on no line, or naming nothing")
    for signature in signatures or ():
        sound = getattr(signature, "sound", None)
        if sound is not None and not sound():
            raise OddData(f"an unsound {type(signature).__name__}")


def _read_index(file: IO[bytes], code: str) -> tuple[int, dict[bytes, _Entry]] | None:
    """The run number and records of the store open in ``file``; None when it is not a
    store of this code (another version, or something else). Raises on a damaged one."""
    size = os.fstat(file.fileno()).st_size
    if size < _TRAILER:
        return None
    trailer = _read_at(file, size - _TRAILER, _TRAILER)
    if len(trailer) != _TRAILER or trailer[-8:] != _MAGIC:
        return None
    start = int.from_bytes(trailer[DIGEST_SIZE:-8], "little")
    if not 0 <= start <= size - _TRAILER or size - _TRAILER - start > _MAX_INDEX_BYTES:
        return None
    head = _read_at(file, start, size - _TRAILER - start)
    if digest(head) != trailer[:DIGEST_SIZE]:
        return None  # damaged: not even parsed
    head = marshal.loads(head)
    if not (type(head) is tuple and len(head) == 3 and head[0] == code):
        return None
    _code, run, index = head
    if type(run) is not int or not 0 <= run < 1 << 62 or type(index) is not dict:
        return None
    entries: dict[bytes, _Entry] = {}
    for key, value in index.items():
        if not (type(key) is bytes and len(key) == _KEY_SIZE and type(value) is tuple):
            return None
        if len(value) != 3 or not all(type(number) is int for number in value):
            return None
        used, offset, length = value
        if not (0 <= used <= run and offset >= 0 and DIGEST_SIZE < length <= MAX_RECORD_BYTES):
            return None
        if offset + length > start:
            return None
        entries[key] = _Entry(used, offset, length)
    return run + 1, entries


def _bounded(entries: dict[bytes, _Entry], taken: int) -> dict[bytes, _Entry]:
    """The records the next store keeps: this run's new ones (``taken`` bytes), then the
    others, most recently used first, while there is room."""
    kept = {key: entry for key, entry in entries.items() if entry.new}
    room = MAX_RECORDS - len(kept)
    size = taken
    others = sorted(
        ((key, entry) for key, entry in entries.items() if not entry.new),
        key=lambda item: -item[1].used,
    )
    for key, entry in others:
        if room <= 0:
            break
        if size + entry.length > MAX_BYTES:
            continue
        kept[key] = entry
        size += entry.length
        room -= 1
    return kept

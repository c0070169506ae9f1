"""Postmortem Markdown files in and out: ``read_file`` and ``parse`` (any common layout ->
:class:`Document`, by :mod:`followthrough.core.reading`), and the JSON record of what was
understood (``to_record``). Writing our template's Markdown is
:mod:`followthrough.core.writing`.

``parse`` never raises; ``read_file`` raises :class:`DocumentReadError` with a one-line
reason for input that is not a readable UTF-8 text file.
"""

from __future__ import annotations

import os
from typing import Final

from followthrough.core.document import Document
from followthrough.core.reading import read as parse
from followthrough.core.writing import to_record

__all__ = [
    "MAX_BYTES",
    "DocumentReadError",
    "parse",
    "read_file",
    "to_record",
]

MAX_BYTES: Final = (
    20 * 1024 * 1024
)  # a 10 MiB postmortem is odd but allowed; beyond 20 MiB, refused


class DocumentReadError(Exception):
    """A file that cannot be read as a postmortem; ``str(error)`` is a one-line reason."""


# --------------------------------------------------------------------------- reading files


def read_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> Document:
    """Read and parse one Markdown file."""
    return parse_bytes(read_bytes(path, max_bytes=max_bytes), path, max_bytes=max_bytes)


def read_bytes(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of one Markdown file (:class:`DocumentReadError` when it cannot be read)."""
    try:
        # opened first and its size read from the open file: one look-up of the path, not three
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise DocumentReadError(f"file too large ({size} bytes; the limit is {max_bytes})")
            return handle.read(max_bytes + 1)
    except IsADirectoryError:
        raise DocumentReadError("is a directory") from None
    except FileNotFoundError:
        raise DocumentReadError("no such file") from None
    except PermissionError:
        raise DocumentReadError("permission denied") from None
    except OSError as error:
        raise DocumentReadError(error.strerror or "cannot be read") from None


def parse_bytes(
    data: bytes, path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES
) -> Document:
    """Parse the bytes of the Markdown file ``path`` (:func:`read_bytes`)."""
    if len(data) > max_bytes:
        raise DocumentReadError(f"file too large (more than {max_bytes} bytes)")
    if not data or data.isspace():  # data.strip() would copy the file to tell
        raise DocumentReadError("empty file")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DocumentReadError(f"binary file (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        raise DocumentReadError(
            f"not UTF-8 (invalid byte 0x{bad} at offset {error.start})"
        ) from None
    return parse(text, os.fspath(path))

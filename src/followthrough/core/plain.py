"""Values as plain data and back, by their type annotations: what is kept between runs.

A kept value is written as ``marshal`` writes plain values (str, int, float, bool, bytes,
None, tuple, list, set, frozenset, dict), never as a pickle: reading it back must never run
code, whoever wrote the file. :func:`codec` makes, from a type (a dataclass, an enum, a
date, an ``array``, containers of those, ``X | None``), the pair of functions that turn a
value of that type into plain data and back. ``from_data`` checks every type and every shape
on the way and raises :class:`OddData` on anything its type does not make: a damaged or
hostile file is then ignored, never believed. ``to_data`` checks the value too, so a value
that does not match its annotation (which would not come back equal) is never kept.

Dataclasses are written as the tuple of their fields in order, enums as their value, dates
as their ordinal, arrays as (typecode, bytes): a class that gains, loses or retypes a field
reads its old records as odd, and the code fingerprint of the store drops them anyway.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import sys
import types
import typing
from array import array
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

__all__ = ["Codec", "OddData", "budgeted", "codec", "returned_type"]


class OddData(ValueError):
    """Kept data that its type does not make (or a value that does not fit its annotation)."""


class ArrayHint:
    """Stands for ``array`` in annotations (``array[int]``): ``array.array`` cannot be
    subscripted before Python 3.12."""

    def __class_getitem__(cls, item: object) -> type[ArrayHint]:
        return cls


#: names resolved differently when annotations are read
_NAMES = {"array": ArrayHint}
#: an array's typecode -> the type of its items
_TYPECODES = {code: int for code in "bBhHiIlLqQ"} | {"f": float, "d": float}
_LAST_ORDINAL = date.max.toordinal()


@dataclasses.dataclass(frozen=True)
class Codec:
    """A type's way to plain data (``to_data``) and back (``from_data``); both raise
    :class:`OddData` on a value that their type does not make."""

    to_data: Callable[[Any], Any]
    from_data: Callable[[Any], Any]
    #: plain already: both functions check the type and return the value itself
    plain: bool = False
    #: for a leaf (str, int, ...): the types its values may have
    kinds: frozenset[type] = frozenset()


_MADE: dict[Any, Codec] = {}


class _Budget:
    """How many more items ``from_data`` may make (:func:`budgeted`)."""

    active = False
    left = 0


_BUDGET = _Budget()


@contextlib.contextmanager
def budgeted(items: int) -> Iterator[None]:
    """Within it, every container and array that a codec makes or checks counts its items,
    and more than ``items`` in all is :class:`OddData`. Kept data of ``n`` bytes holds fewer
    than ``n`` items unless it repeats one container by reference (marshal's back
    references): a few hundred kilobytes of those can stand for billions of items."""
    _BUDGET.active, _BUDGET.left = True, items
    try:
        yield
    finally:
        _BUDGET.active = False


def _charge(count: int) -> None:
    if _BUDGET.active:
        _BUDGET.left -= count
        if _BUDGET.left < 0:
            raise OddData("more items than the data holds")


def codec(kind: Any) -> Codec:
    """The codec of ``kind`` (made once per type). Raises TypeError for a type it cannot
    keep (``Any``, a protocol, a class that is not a dataclass)."""
    made = _MADE.get(kind)
    if made is None:
        made = _MADE[kind] = _made(kind)
    return made


def returned_type(function: Callable[..., Any]) -> Any:
    """The type ``function`` is annotated to return, its annotation evaluated in its module
    (and nothing else of its signature: a parameter's type may be imported for type
    checking only)."""
    annotation = {"return": function.__annotations__["return"]}
    namespace = vars(sys.modules[function.__module__])

    def holder() -> None: ...

    holder.__annotations__ = annotation
    return typing.get_type_hints(holder, globalns=namespace, localns=_NAMES)["return"]


def _made(kind: Any) -> Codec:
    if kind in (str, bytes, bool, type(None)):
        return _leaf((kind,))
    if kind is int:
        return _leaf((int,))
    if kind is float:
        return _leaf((float, int))
    if kind is date:
        return Codec(_date_to, _date_from)
    if kind is ArrayHint:
        return Codec(_array_to, _array_from)
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        return _union(typing.get_args(kind))
    if origin is tuple:
        return _tuple(typing.get_args(kind))
    if origin in (list, set, frozenset):
        return _collection(origin, codec(typing.get_args(kind)[0]))
    if origin is dict:
        key, value = typing.get_args(kind)
        return _dict(codec(key), codec(value))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _enum(kind)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _dataclass(kind)
    raise TypeError(f"cannot keep values of type {kind!r}")


def _leaf(kinds: tuple[type, ...]) -> Codec:
    def check(value: Any) -> Any:
        if type(value) not in kinds:
            raise OddData(f"{type(value).__name__} where {kinds[0].__name__} was expected")
        return value

    return Codec(check, check, plain=True, kinds=frozenset(kinds))


def _date_to(value: Any) -> int:
    if type(value) is not date:
        raise OddData("not a date")
    return value.toordinal()


def _date_from(data: Any) -> date:
    if type(data) is not int or not 1 <= data <= _LAST_ORDINAL:
        raise OddData("not a date's ordinal")
    return date.fromordinal(data)


def _array_to(value: Any) -> tuple[str, bytes]:
    if type(value) is not array:
        raise OddData("not an array")
    return value.typecode, value.tobytes()


def _array_from(data: Any) -> array[Any]:
    if type(data) is not tuple or len(data) != 2:
        raise OddData("not an array's (typecode, bytes)")
    typecode, raw = data
    if type(typecode) is not str or typecode not in _TYPECODES or type(raw) is not bytes:
        raise OddData("not an array's (typecode, bytes)")
    _charge(len(raw))
    made = array(typecode)
    if len(raw) % made.itemsize:
        raise OddData("an array's bytes cut short")
    made.frombytes(raw)
    return made


def _union(arms: tuple[Any, ...]) -> Codec:
    others = [arm for arm in arms if arm is not type(None)]
    optional = len(others) < len(arms)
    if len(others) == 1:
        inner = codec(others[0])
        to_data, from_data = inner.to_data, inner.from_data

        def to_optional(value: Any) -> Any:
            return None if value is None else to_data(value)

        def from_optional(data: Any) -> Any:
            return None if data is None else from_data(data)

        return Codec(to_optional, from_optional, plain=inner.plain)
    made = [codec(arm) for arm in others]
    if not all(one.plain for one in made):
        raise TypeError(f"cannot keep a union of {arms!r}: only plain types tell themselves apart")
    kinds = tuple(arm for arm in others) + ((type(None),) if optional else ())
    if float in kinds:
        kinds += (int,)
    return _leaf(kinds)


def _tuple(items: tuple[Any, ...]) -> Codec:
    if len(items) == 2 and items[1] is Ellipsis:
        return _collection(tuple, codec(items[0]))
    if Ellipsis in items:
        raise TypeError(f"cannot keep tuple[{items!r}]")
    made = [codec(item) for item in items]
    size = len(made)

    def to_data(value: Any) -> tuple[Any, ...]:
        if type(value) is not tuple or len(value) != size:
            raise OddData(f"not a tuple of {size}")
        return tuple(one.to_data(part) for one, part in zip(made, value, strict=True))

    def from_data(data: Any) -> tuple[Any, ...]:
        if type(data) is not tuple or len(data) != size:
            raise OddData(f"not a tuple of {size}")
        return tuple(one.from_data(part) for one, part in zip(made, data, strict=True))

    return Codec(to_data, from_data, plain=all(one.plain for one in made))


def _collection(kind: Any, item: Codec) -> Codec:
    """A tuple, list, set or frozenset of ``item``s: as it is when the items are plain
    (marshal writes these containers), else the same container of their data."""
    convert_to, convert_from = item.to_data, item.from_data
    if item.kinds:
        kinds = item.kinds

        def leaves(value: Any) -> Any:
            # the items' types gathered at C speed: most collections kept are of words
            if type(value) is not kind:
                raise OddData(f"not a {kind.__name__}")
            _charge(len(value))
            if not kinds.issuperset(set(map(type, value))):
                raise OddData(f"not a {kind.__name__} of {sorted(k.__name__ for k in kinds)}")
            return value

        return Codec(leaves, leaves, plain=True)
    if item.plain:

        def checked(value: Any) -> Any:
            if type(value) is not kind:
                raise OddData(f"not a {kind.__name__}")
            _charge(len(value))
            for part in value:
                convert_to(part)
            return value

        return Codec(checked, checked, plain=True)

    def to_data(value: Any) -> Any:
        if type(value) is not kind:
            raise OddData(f"not a {kind.__name__}")
        return kind(map(convert_to, value))

    def from_data(data: Any) -> Any:
        if type(data) is not kind:
            raise OddData(f"not a {kind.__name__}")
        _charge(len(data))
        return kind(map(convert_from, data))

    return Codec(to_data, from_data)


def _dict(key: Codec, value: Codec) -> Codec:
    def to_data(mapping: Any) -> dict[Any, Any]:
        if type(mapping) is not dict:
            raise OddData("not a dict")
        return {key.to_data(k): value.to_data(v) for k, v in mapping.items()}

    def from_data(data: Any) -> dict[Any, Any]:
        if type(data) is not dict:
            raise OddData("not a dict")
        _charge(len(data))
        return {key.from_data(k): value.from_data(v) for k, v in data.items()}

    return Codec(to_data, from_data)


def _enum(kind: type[enum.Enum]) -> Codec:
    values = {member.value: member for member in kind}
    if not all(type(v) in (str, int) for v in values):
        raise TypeError(f"cannot keep {kind!r}: its values are not all str or int")

    def to_data(value: Any) -> Any:
        if type(value) is not kind:
            raise OddData(f"not a {kind.__name__}")
        return value.value

    def from_data(data: Any) -> Any:
        if type(data) not in (str, int):
            raise OddData(f"not a {kind.__name__}'s value")
        member = values.get(data)
        if member is None:
            raise OddData(f"not a {kind.__name__}'s value")
        return member

    return Codec(to_data, from_data)


def _dataclass(kind: type) -> Codec:
    fields = dataclasses.fields(kind)
    if any(not f.init for f in fields):
        raise TypeError(f"cannot keep {kind!r}: a field is not set by __init__")
    hints = typing.get_type_hints(kind, localns=_NAMES)
    names = [f.name for f in fields]
    made = [codec(hints[name]) for name in names]
    pairs = list(zip(names, made, strict=True))
    size = len(names)

    def to_data(value: Any) -> tuple[Any, ...]:
        if type(value) is not kind:
            raise OddData(f"not a {kind.__name__}")
        return tuple(one.to_data(getattr(value, name)) for name, one in pairs)

    def from_data(data: Any) -> Any:
        if type(data) is not tuple or len(data) != size:
            raise OddData(f"not a {kind.__name__}'s {size} fields")
        return kind(*[one.from_data(part) for one, part in zip(made, data, strict=True)])

    return Codec(to_data, from_data)

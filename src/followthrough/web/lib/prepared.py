"""A queryset's SQL compiled once per process, then run again with each request's values.

Django builds and compiles a queryset's SQL (its joins, lookups and subqueries) on every
evaluation, and for a short read that costs several times what the database does. A read
asked often in the same shape with other values (the API's incident list: the viewer, the
filters, the instant) compiles its shape once with :func:`prepare`, then binds each
request's values to the parameters and runs the SQL on a cursor, turning the columns into
Python values with the converters Django itself would apply.

Which parameter holds which value is found, never guessed: the shape is compiled with each
:class:`Var`'s first sample, a parameter equal to a sample in one of its var's forms is that
var's slot, and the shape is compiled again with the second samples, which the binding must
reproduce exactly (same SQL, same parameters), or :class:`NotPreparable` is raised. So the
prepared SQL runs only where it is the SQL Django would have run for those values.

A queryset of model instances (not ``values_list``) is read back as the instances
``ModelIterable`` would make, its ``select_related`` relations included: :class:`Lookup`
finds one row by a unique value that way (every API request's token and its account).
It leans on the compiler's internals as ``ModelIterable`` uses them (``select``,
``klass_info``, ``get_related_populators``; Django 5.2): tests/web/lib/test_prepared.py
is the one to run when Django is upgraded.

On PostgreSQL the prepared SQL runs on a cursor that sends its parameters apart from the
statement (server-side binding, :func:`cursor`), so the server parses and plans each shape
once per connection (psycopg's ``prepare_threshold``, set in the settings) and then only
executes it: planning the incident list's query cost the server more than running it.
Django's own cursors bind on the client and are never prepared.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import SQLiteCursorWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators

M = TypeVar("M", bound=models.Model)

#: how a value reaches a parameter (its database form: the value itself, a date as text on
#: SQLite, a LIKE pattern, ...)
Form = Callable[[Any, BaseDatabaseWrapper], Any]


def as_is(value: Any, connection: BaseDatabaseWrapper) -> Any:
    return value


class NotPreparable(Exception):
    """The shape's parameters could not be told apart from its samples."""


@dataclass(frozen=True)
class Var:
    """A value of a prepared query: two samples, unlike any constant of the query and unlike
    each other, and the forms in which it reaches the parameters."""

    samples: tuple[Any, Any]
    forms: tuple[Form, ...] = (as_is,)


@dataclass(frozen=True)
class _Instances:
    """How a model queryset's row becomes its instance (as ``ModelIterable`` does it)."""

    model: type[models.Model]
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]

    def make(self, alias: str, row: Sequence[Any]) -> models.Model:
        found = self.model.from_db(alias, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, found)
        return found


@dataclass(frozen=True)
class Prepared:
    """One shape's SQL, where each parameter comes from, and how its columns are read."""

    alias: str
    sql: str
    #: per parameter, (var name, form), or (None, the constant)
    slots: tuple[tuple[str | None, Any], ...]
    #: the selected names (``values_list``'s, then the annotations), in column order
    columns: tuple[str, ...]
    #: per column position, the converters Django applies and their expression
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    #: for a queryset of model instances, how to make them (None for ``values_list``)
    instances: _Instances | None = None

    def params(self, values: Mapping[str, Any]) -> list[Any]:
        connection = connections[self.alias]
        return [
            form(values[name], connection) if name is not None else form
            for name, form in self.slots
        ]

    def rows(
        self, values: Mapping[str, Any], suffix: str = "", more: Sequence[Any] = ()
    ) -> list[list[Any]]:
        """The rows for ``values``, converted; ``suffix`` (with its parameters ``more``) is
        appended to the SQL (a LIMIT)."""
        connection = connections[self.alias]
        with cursor(connection) as found:
            found.execute(self.sql + suffix, [*self.params(values), *more])
            rows = [list(row) for row in found.fetchall()]
        for position, converters, expression in self.converters:
            for row in rows:
                value = row[position]
                for convert in converters:
                    value = convert(value, expression, connection)
                row[position] = value
        return rows

    def objects(self, values: Mapping[str, Any]) -> list[Any]:
        """The model instances for ``values`` (a queryset of instances only)."""
        if self.instances is None:
            raise TypeError("a values_list shape has no instances")
        return [self.instances.make(self.alias, row) for row in self.rows(values)]

    def count(self, values: Mapping[str, Any]) -> int:
        connection = connections[self.alias]
        with cursor(connection) as counted:
            counted.execute(f"SELECT COUNT(*) FROM ({self.sql}) counted", self.params(values))
            return int(counted.fetchone()[0])


def cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor for SQL run often in one shape: on PostgreSQL it binds its parameters on
    the server, so psycopg prepares the statement once it has run ``prepare_threshold``
    times on this connection; on SQLite a cursor that turns each SQL text into sqlite3's
    placeholders once per process (:class:`_QmarkOnce`); elsewhere the connection's own."""
    if connection.vendor == "sqlite":
        # Django's cursor() with only the factory changed, as for PostgreSQL below
        connection.ensure_connection()
        with connection.wrap_database_errors:
            raw = connection.connection.cursor(factory=_QmarkOnce)
            return connection._prepare_cursor(raw)  # type: ignore[no-any-return]
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    # Django's cursor() with only its factory changed: its wrapper (query logging, execute
    # wrappers) and its time zone set-up stay.
    default = raw.cursor_factory
    raw.cursor_factory = ServerBindingCursor
    try:
        return connection.cursor()
    finally:
        raw.cursor_factory = default


#: SQL text in Django's placeholders -> the same in sqlite3's (the shapes of a process)
_QMARK: dict[str, str] = {}
_QMARK_MOST = 2_000


class _QmarkOnce(SQLiteCursorWrapper):
    """Django's SQLite cursor, except that the SQL of a prepared shape is converted to
    sqlite3's placeholders once: Django converts it with a regular expression on every
    execute, a twentieth of the incident list's CPU (its SQL is several kilobytes)."""

    def execute(self, query: str, params: Any = None) -> Any:
        if params is None or isinstance(params, Mapping):
            return super().execute(query, params)
        converted = _QMARK.get(query)
        if converted is None:
            converted = self.convert_query(query)
            if len(_QMARK) < _QMARK_MOST:
                _QMARK[query] = converted
        return sqlite3.Cursor.execute(self, converted, params)


def prepare(
    build: Callable[[Mapping[str, Any]], QuerySet[Any, Any]], vars: Mapping[str, Var]
) -> Prepared:
    """The shape ``build`` makes of a ``values_list`` queryset, compiled once.

    ``build`` gets a value per var and must give the same SQL whatever the values (only the
    parameters may change); it is called twice, with each var's two samples. Raises
    :class:`NotPreparable` when the second compile is not what the binding gives, and lets
    ``EmptyResultSet`` through (a shape that can match nothing)."""
    first = {name: var.samples[0] for name, var in vars.items()}
    second = {name: var.samples[1] for name, var in vars.items()}
    queryset = build(first)
    alias = queryset.db
    connection = connections[alias]
    compiler = queryset.query.get_compiler(alias)
    sql, params = compiler.as_sql()
    slots = tuple(_slot(param, vars, first, connection) for param in params)
    if unused := set(vars) - {name for name, _ in slots}:
        # the query was built from the value in Python (a list looked up, say) and would
        # keep the sample's result for every value: never prepare that
        raise NotPreparable(f"{sorted(unused)} reach no parameter of {sql!r}")
    instances = None
    if queryset._iterable_class is ModelIterable:
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        instances = _Instances(
            model=klass_info["model"],
            init_list=[column[0].target.attname for column in select[start:end]],
            start=start,
            end=end,
            populators=get_related_populators(klass_info, select, alias),
        )
    prepared = Prepared(
        alias=alias,
        sql=sql,
        slots=slots,
        columns=(*queryset.query.values_select, *queryset.query.annotation_select),
        converters=tuple(
            (position, tuple(converters), expression)
            for position, (converters, expression) in compiler.get_converters(
                [column[0] for column in compiler.select]
            ).items()
        ),
        instances=instances,
    )
    again_sql, again_params = build(second).query.get_compiler(alias).as_sql()
    bound = prepared.params(second)
    if (
        again_sql != sql
        or len(again_params) != len(bound)
        or not all(map(_same, again_params, bound))
    ):
        raise NotPreparable(f"the parameters of {sql!r} are not only the vars' values")
    return prepared


#: a looked-up value's two samples: no real value is like them
_LOOKED_UP = Var(samples=("\x00followthrough-sample-1\x00", "\x00followthrough-sample-2\x00"))


class Lookup(Generic[M]):
    """The row ``build(value)`` selects (one at most: the value is unique), or None, its SQL
    prepared once per database connection (each thread has its own)."""

    def __init__(self, build: Callable[[str], QuerySet[M]]) -> None:
        self.build = build
        self.local = threading.local()

    def find(self, value: str, using: str = "default") -> M | None:
        found = self._prepared(using).objects({"value": value})
        return found[0] if found else None

    def _prepared(self, using: str) -> Prepared:
        held: dict[str, tuple[BaseDatabaseWrapper, Prepared]]
        held = self.local.__dict__.setdefault("prepared", {})
        connection = connections[using]
        if using not in held or held[using][0] is not connection:
            shape = prepare(
                lambda v: self.build(v["value"]).using(using).order_by()[:1],
                {"value": _LOOKED_UP},
            )
            held[using] = (connection, shape)
        return held[using][1]


def _slot(
    param: Any, vars: Mapping[str, Var], sample: Mapping[str, Any], connection: BaseDatabaseWrapper
) -> tuple[str | None, Any]:
    found = [
        (name, form)
        for name, var in vars.items()
        for form in var.forms
        if _same(param, form(sample[name], connection))
    ]
    if len(found) > 1:
        raise NotPreparable(f"the parameter {param!r} is the sample of {len(found)} vars")
    return found[0] if found else (None, param)


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python: a sample must match in type too
    return type(a) is type(b) and a == b

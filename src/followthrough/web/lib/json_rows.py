"""A related list read in its parent's own statement: the rows of a correlated ``values()``
queryset as one JSON array of objects, in the queryset's order.

``JsonRows(Person.objects.filter(incidents_responded=OuterRef("pk")).order_by("name", "pk")
.values("id", "name"))`` annotated on incidents gives each incident's responders as
``[{"id": 3, "name": "Dana"}, ...]`` (``[]`` for none), read back as a list of dicts with
the keys in the order ``values()`` names them. It is a subquery expression, so the ORM
compiles it like any other (and ``web.lib.prepared`` prepares it with the rest).

The order is the queryset's on every database. PostgreSQL is told it inside the aggregate
(``json_agg(... ORDER BY ...)``); so is SQLite from 3.44. An older SQLite aggregates the
subquery's rows in the subquery's own order (Django keeps an explicit ``order_by`` in a
subquery): SQLite never flattens an ordered subquery into an aggregate query, and keeps
its ORDER BY when the outer query uses an aggregate other than count(), min() or max()
(the condition of its "omit ORDER BY" optimisation).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import JSONField, QuerySet, Subquery
from django.db.models.sql.compiler import SQLCompiler

#: SQLite accepts ORDER BY inside an aggregate's parentheses from this version on
_SQLITE_AGGREGATE_ORDER = (3, 44, 0)
_ROWS = "json_rows"


class JsonRows(Subquery):
    """The rows of an ordered ``values()`` queryset of one model's own fields, as a JSON
    array of objects (``[]`` when it has none)."""

    def __init__(self, queryset: QuerySet[Any, Any]) -> None:
        super().__init__(queryset, output_field=JSONField())
        self.ordering = tuple(queryset.query.order_by)

    def _columns(self, connection: BaseDatabaseWrapper) -> tuple[list[str], list[str]]:
        """The objects' ``'key', column`` pairs and the ORDER BY terms, over the subquery's
        columns (named by the model's column names)."""
        meta = self.query.model._meta
        quote = connection.ops.quote_name

        def column(name: str) -> str:
            return str(meta.pk.column if name == "pk" else meta.get_field(name).column)

        names = list(self.query.values_select)
        selected = {column(name) for name in names}
        pairs = [f"'{name}', {quote(_ROWS)}.{quote(column(name))}" for name in names]
        order = []
        for term in self.ordering:
            if not isinstance(term, str) or column(term.lstrip("-")) not in selected:
                raise ValueError(f"JsonRows orders by selected fields only, not {term!r}")
            direction = " DESC" if term.startswith("-") else ""
            order.append(f"{quote(_ROWS)}.{quote(column(term.lstrip('-')))}{direction}")
        return pairs, order

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, Any]:
        pairs, order = self._columns(connection)
        ordered = f" ORDER BY {', '.join(order)}" if order else ""
        # json, not jsonb: its objects keep their keys in the order given (jsonb sorts them);
        # as text, as JSONField reads it (psycopg would decode a json value itself)
        template = (
            f"(SELECT COALESCE(json_agg(json_build_object({', '.join(pairs)}){ordered}), "
            f"'[]')::text FROM (%(subquery)s) {connection.ops.quote_name(_ROWS)})"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, Any]:
        pairs, order = self._columns(connection)
        ordered = ""
        if order and sqlite3.sqlite_version_info >= _SQLITE_AGGREGATE_ORDER:
            ordered = f" ORDER BY {', '.join(order)}"
        template = (
            f"(SELECT json_group_array(json_object({', '.join(pairs)}){ordered}) "
            f"FROM (%(subquery)s) {connection.ops.quote_name(_ROWS)})"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

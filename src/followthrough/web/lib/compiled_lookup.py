"""A look-up of one row by a unique value whose SQL the ORM builds once per process, not per call.

Django builds and compiles a queryset's SQL each time it runs: for the bearer token's
look-up (the token and its account, ``select_related``) that was ~0.3 ms of CPU, a third of
what the cheapest API read cost in all, where the query itself takes ~20 us.
:class:`CompiledLookup` asks the ORM for the queryset once, with a marker in place of the
value, keeps its SQL, its columns' converters and the way Django turns a row into the
model and its ``select_related`` relations, and then runs only the SQL. The rows it gives
are the ones the queryset gives (``tests/web/lib/test_compiled_lookup.py`` compares them
field by field on every database the tests run on); the query goes through the
connection's cursor, so execute wrappers, ``CaptureQueriesContext`` and transactions see it
like any other.

Only for querysets whose SQL does not depend on anything but the value (no ``now()`` or
settings read when the queryset is built). It leans on the compiler's internals as
``ModelIterable`` uses them (``select``, ``klass_info``, ``get_related_populators``; Django
5.2): the test above is the one to run when Django is upgraded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, models
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=models.Model)

# Stands for the value while the SQL is compiled; found again among the query's parameters.
MARKER = "\x00followthrough-compiled-lookup\x00"


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[Any, ...]
    position: int  # where the value goes in params
    compiler: Any
    converters: dict[int, Any]
    model: type[models.Model]
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]


class CompiledLookup(Generic[M]):
    """The row ``build(value)`` selects (one at most: the value is unique), or None; the SQL
    compiled once per database connection (each thread has its own)."""

    def __init__(self, build: Callable[[str], models.QuerySet[M]]) -> None:
        self.build = build
        self.local = threading.local()

    def find(self, value: str, using: str = "default") -> M | None:
        plan = self._plan(using)
        params = list(plan.params)
        params[plan.position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(plan.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if plan.converters:
            row = next(plan.compiler.apply_converters([row], plan.converters))
        found = plan.model.from_db(using, plan.init_list, row[plan.start : plan.end])
        for populator in plan.populators:
            populator.populate(row, found)
        return found  # type: ignore[return-value]

    def _plan(self, using: str) -> _Plan:
        plans: dict[str, _Plan] = self.local.__dict__.setdefault("plans", {})
        plan = plans.get(using)
        if plan is None or plan.compiler.connection is not connections[using]:
            plan = plans[using] = self._compile(using)
        return plan

    def _compile(self, using: str) -> _Plan:
        queryset = self.build(MARKER).using(using).order_by()[:1]
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if list(params).count(MARKER) != 1:
            raise ValueError("the value must appear once among the look-up's parameters")
        select, klass_info = compiler.select, compiler.klass_info
        fields = [column[0] for column in select[: compiler.col_count]]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Plan(
            sql=sql,
            params=tuple(params),
            position=list(params).index(MARKER),
            compiler=compiler,
            converters=compiler.get_converters(fields),
            model=klass_info["model"],
            init_list=[column[0].target.attname for column in select[start:end]],
            start=start,
            end=end,
            populators=get_related_populators(klass_info, select, using),
        )

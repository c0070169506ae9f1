"""Django's PostgreSQL backend, except that a safe request's transaction begins at its
first statement that writes, not at its first statement.

Every request runs in a transaction (``ATOMIC_REQUESTS``): psycopg sends ``BEGIN`` before
the first statement and Django ``COMMIT`` after the view, two of the four round trips an
API read makes (the token, the read itself). Under READ COMMITTED, PostgreSQL's default
and ours, each statement of a transaction reads its own snapshot anyway: a transaction
that only reads sees exactly what the same statements would see without one. So a safe
request (:class:`~followthrough.web.lib.read_transactions.ReadTransactionMiddleware` says
which, as it does for SQLite's deferred BEGIN) runs its reads in autocommit while Django
believes it is in its transaction, and the first statement that is not a plain read
(a write, ``SELECT ... FOR UPDATE``, a savepoint, anything else) begins the real
transaction just before it: from there on, the request's writes commit together or roll
back together, as they did. A transaction that never began costs neither ``BEGIN`` nor
``COMMIT`` (psycopg sends neither on an idle connection).

Under a stricter isolation level (``OPTIONS["isolation_level"]``) a transaction's reads
share one snapshot; the backend then begins every transaction at once, as Django does.
"""

from collections.abc import Callable
from typing import Any

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import IsolationLevel


class DatabaseWrapper(base.DatabaseWrapper):
    #: set by the middleware for a safe request: its transaction may begin late
    defer_begin = False
    #: a transaction Django opened that has not begun on the server yet
    _begin_pending = False

    def _set_autocommit(self, autocommit: bool) -> None:
        if (
            not autocommit
            and self.defer_begin
            and self.isolation_level == IsolationLevel.READ_COMMITTED
        ):
            self._begin_pending = True  # psycopg stays in autocommit until begin_now()
            self.execute_wrappers.append(self._begin_before)
            return
        self._stop_waiting()
        super()._set_autocommit(autocommit)

    def begin_now(self) -> None:
        """Begin the transaction Django believes is open, if it has not begun: psycopg
        sends ``BEGIN`` before the next statement, and Django's commit ends it."""
        if self._begin_pending:
            self._stop_waiting()
            super()._set_autocommit(False)

    def _stop_waiting(self) -> None:
        if self._begin_pending:
            self._begin_pending = False
            self.execute_wrappers.remove(self._begin_before)

    def close(self) -> None:
        # Closed inside its transaction (a dropped connection), Django leaves autocommit
        # alone at the block's end: the wait ends here, not with the next request.
        self._stop_waiting()
        super().close()

    def _savepoint(self, sid: str) -> None:
        self.begin_now()  # a savepoint needs its transaction
        super()._savepoint(sid)

    def _begin_before(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if many or not _plain_read(sql):
            self.begin_now()
        return execute(sql, params, many, context)


def _plain_read(sql: str) -> bool:
    """Whether ``sql`` only reads and locks nothing: a SELECT without a locking clause.
    Django writes its keywords in capitals and sends every value as a parameter, so a
    capital " FOR " in the text is taken for a lock; at worst a read begins early."""
    return sql.lstrip()[:6] == "SELECT" and " FOR " not in sql

"""Django's database cache, whose ``incr`` is two statements instead of five.

The API's rate limit adds each process's requests to a shared count in the cache every few
requests (``security._ApiCounts``). Django's ``incr`` is ``get`` then ``set``, and ``set``
counts every row of the table (to cull), opens a savepoint and reads the row again before
it updates it. Here ``incr`` reads the entry as ``get`` does and updates it in place, with
the value and expiry ``set`` would write (the default timeout from now, as Django's
``incr`` gives): the same entry, the same number, in two statements. An update adds no row,
so there is nothing to cull; if the entry vanished between the two (PostgreSQL, without a
lock), Django's ``set`` writes it as before.
"""

from __future__ import annotations

import base64
import pickle
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router


class DatabaseCache(DjangoDatabaseCache):
    """``django.core.cache.backends.db.DatabaseCache`` with a cheaper ``incr``."""

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        value = self.get(key, self._missing_key, version=version)
        if value is self._missing_key:
            raise ValueError(f"Key '{key}' not found.")
        new_value = value + delta
        if not self._update(self.make_and_validate_key(key, version=version), new_value):
            self.set(key, new_value, version=version)
        return new_value

    def _update(self, key: str, value: Any) -> bool:
        """Overwrite an existing entry as ``set`` would; False if there is none."""
        timeout = self.get_backend_timeout()
        if timeout is None:
            expires = datetime.max
        else:
            expires = datetime.fromtimestamp(timeout, tz=UTC if settings.USE_TZ else None)
        connection = connections[router.db_for_write(self.cache_model_class)]
        quote_name = connection.ops.quote_name
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote_name(self._table)} SET {quote_name('value')} = %s, "
                f"{quote_name('expires')} = %s WHERE {quote_name('cache_key')} = %s",
                [
                    encoded,
                    connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0)),
                    key,
                ],
            )
            return bool(cursor.rowcount == 1)

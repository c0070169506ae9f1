"""Django's PostgreSQL backend, with a read's BEGIN deferred (see :mod:`.base`)."""

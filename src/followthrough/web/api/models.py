"""What the API keeps of its own: the answers of POST requests sent with an Idempotency-Key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """The first successful answer to a POST sent with an ``Idempotency-Key``, kept so that
    a retry with the same key gets that answer again instead of making a second row.

    Written in the transaction of the write itself (``followthrough.web.lib.idempotency``):
    the key is stored exactly when the write is committed. Keys belong to one account and
    are kept ``IDEMPOTENCY_KEY_HOURS`` (at least 24); the ``idempotency-prune`` job forgets
    older ones.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path and the body (JSON in a canonical form): a retry must
    # be the same request.
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_answer_per_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key[:40]})"

"""The writing assistant's one setting for the organisation.

Off by default and never required. The key is write-only: stored here and sent to the
endpoint as a Bearer token, never rendered in a page, returned by the API or logged.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from followthrough.web.transport import url_problem

# gunicorn's sync workers are killed after 30 s: the call runs inside the request.
MAX_TIMEOUT_SECONDS = 25


class AssistantSettings(models.Model):
    """Where the writing assistant's chat endpoint is, and what it may be sent."""

    enabled = models.BooleanField(default=False)
    base_url = models.URLField(
        "endpoint",
        max_length=300,
        blank=True,
        help_text=(
            "The server's base URL; followthrough posts to {endpoint}/v1/chat/completions. "
            "A local Ollama: http://localhost:11434 (the operator lists localhost in "
            "OUTBOUND_ALLOWED_HOSTS)."
        ),
    )
    model = models.CharField(max_length=200, blank=True, help_text="e.g. llama3.1:8b")
    api_key = models.CharField(max_length=500, blank=True)  # write-only
    allow_security = models.BooleanField(
        "send security incidents",
        default=False,
        help_text="Off: nothing about a security incident is ever sent.",
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        "wait (seconds)",
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TIMEOUT_SECONDS)],
        help_text=f"How long a page waits for proposals (at most {MAX_TIMEOUT_SECONDS} s).",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "writing assistant settings"
        verbose_name_plural = "writing assistant settings"

    def __str__(self) -> str:
        return f"Writing assistant ({'on' if self.enabled else 'off'})"

    @classmethod
    def current(cls) -> AssistantSettings:
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls(pk=None)

    @property
    def is_on(self) -> bool:
        return bool(self.enabled and self.base_url and self.model)

    @property
    def endpoint(self) -> str:
        """{base}/v1/chat/completions, whether the base was typed with /v1 or without."""
        base = self.base_url.strip().rstrip("/").removesuffix("/v1")
        return f"{base}/v1/chat/completions"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.base_url and (problem := url_problem(self.base_url)):
            errors["base_url"] = problem
        if self.enabled and not self.base_url:
            errors["base_url"] = "The assistant needs its endpoint to be turned on."
        if self.enabled and not self.model.strip():
            errors["model"] = "Name the model the endpoint serves."
        if errors:
            raise ValidationError(errors)

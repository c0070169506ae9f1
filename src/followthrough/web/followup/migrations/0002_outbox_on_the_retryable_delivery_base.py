"""The outbox on the retryable-delivery base (followthrough.web.lib.delivery): a unique delivery
key per message (carried as Message-ID, Slack metadata, Idempotency-Key), a "sending" state
set before the transport call, the last error as a classification and a status, and the
channel without choices (the vendor registry decides). Stored errors lose whatever a remote
server answered: only our sentence, the status and the classification stay. Teams get one
JSON column for the settings of channels the registry adds (no migration per channel)."""

import re
import uuid

import django.utils.timezone
from django.db import migrations, models

_ANSWERED = re.compile(r"^(?P<head>.*? answered (?P<status>\d{3}))")
_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _kind(status):
    if 300 <= status < 400:
        return "redirect"
    if status in (401, 403):
        return "auth"
    if status in (425, 429):
        return "rate_limited"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server"
    return "client"


def scrubbed(text):
    """(sentence, kind, status) of an error stored before: the remote answer cut away."""
    if not text:
        return "", "", None
    found = _ANSWERED.match(text)
    if found:
        status = int(found["status"])
        return found["head"], _kind(status), status
    if text.startswith("Slack refused the message: "):
        code = text.removeprefix("Slack refused the message: ").strip()
        return (
            f"Slack refused the message: {code if _CODE.match(code) else 'unknown_error'}",
            "vendor",
            None,
        )
    if text.startswith("mail server unavailable"):
        return "mail server unavailable", "connection", None
    if text.startswith("the mail server refused"):
        return "the mail server refused the message", "client", None
    if " timed out" in text:
        return text.split(" timed out")[0][:400] + " timed out", "timeout", None
    return text[:500], "unexpected", None


def new_keys_and_scrubbed_errors(apps, schema_editor):
    Notification = apps.get_model("followup", "Notification")
    for row in Notification.objects.all().only("pk", "last_error"):
        sentence, kind, status = scrubbed(row.last_error)
        Notification.objects.filter(pk=row.pk).update(
            delivery_key=uuid.uuid4(),
            last_error=sentence,
            last_error_kind=kind,
            last_error_status=status,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="teamsettings",
            name="channels",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Settings of notification channels by vendor kind, each validated by "
                "the vendor's own model (secrets in it are write-only).",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="delivery_key",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="last_error_kind",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="notification",
            name="last_error_status",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(new_keys_and_scrubbed_errors, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="notification",
            name="delivery_key",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                help_text="Sent with every attempt, so a second attempt is recognisably the same.",
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="notification",
            name="channel",
            field=models.CharField(max_length=16),
        ),
        migrations.AlterField(
            model_name="notification",
            name="last_error",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AlterField(
            model_name="notification",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True),
        ),
        migrations.AlterField(
            model_name="notification",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
    ]

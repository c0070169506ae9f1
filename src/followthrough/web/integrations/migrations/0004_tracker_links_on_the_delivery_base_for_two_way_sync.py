"""Tracker links become retryable deliveries (``web.lib.delivery``: the lease, attempts,
backoff and the last error as kind + status) and keep what two-way sync needs: the issue's
status category and vendor time as last seen, the standing the issue was brought to, the
create marker written before a create call, and what the tracker left out of the issue.

The idempotency key keeps its values (it is in every issue already created) under the
delivery base's name. Existing links are taken to be in step with their items: nothing is
sent out for them until their item changes. Their status is taken to be as recent as when
it was last seen, so that a delivery captured before (received when deliveries were keyed
by their unsigned id) cannot be replayed after.
"""

import uuid

import django.utils.timezone
from django.db import migrations, models

STANDING = {"done": "done", "deprioritised": "deprioritised"}


def in_step(apps, schema_editor):
    TrackerLink = apps.get_model("integrations", "TrackerLink")
    for link in TrackerLink.objects.select_related("action_item"):
        link.synced_standing = STANDING.get(link.action_item.status, "open")
        link.last_error = link.last_error[:500]
        # When the status was last seen stands for the vendor's time of it: a delivery
        # captured before this migration (not keyed by its content) is older than that.
        link.tracker_updated_at = link.status_changed_at or link.synced_at
        link.save(update_fields=["synced_standing", "last_error", "tracker_updated_at"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0003_tracker_accounts_per_vendor_and_workspace")]

    operations = [
        migrations.RenameField(
            model_name="trackerlink", old_name="idempotency_key", new_name="delivery_key"
        ),
        migrations.AlterField(
            model_name="trackerlink",
            name="delivery_key",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                help_text="Sent with every attempt, so a second attempt is recognisably the same.",
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="trackerlink",
            name="claimed_by",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="trackerlink",
            name="last_error_kind",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="trackerlink",
            name="last_error_status",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="trackerlink",
            name="create_attempted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="trackerlink",
            name="notice",
            field=models.TextField(
                blank=True, help_text="What the tracker left out of the issue, in words."
            ),
        ),
        migrations.AddField(
            model_name="trackerlink",
            name="synced_standing",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="trackerlink",
            name="tracker_category",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="trackerlink",
            name="tracker_updated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(in_step, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="trackerlink",
            name="last_error",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AlterField(
            model_name="trackerlink",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True),
        ),
        migrations.AlterField(
            model_name="trackerlink",
            name="kind",
            field=models.CharField(max_length=20),
        ),
        migrations.AlterField(
            model_name="trackerlink",
            name="sync_state",
            field=models.CharField(
                choices=[
                    ("pending", "Sync pending"),
                    ("synced", "Synced"),
                    ("error", "Sync failed"),
                    ("detached", "Left in the earlier tracker"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
    ]

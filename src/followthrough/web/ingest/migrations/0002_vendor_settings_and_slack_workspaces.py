"""Vendor settings as one JSON column (routing rules and the severity mapping move into it, so a
new vendor needs no migration), the kind without choices (the vendor registry decides), the
reason an ignored delivery was ignored, and Slack workspaces bound to sources with the people
linked in them."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def columns_into_settings(apps, schema_editor):
    IngestSource = apps.get_model("ingest", "IngestSource")
    for source in IngestSource.objects.all():
        settings = {}
        if source.routing:
            settings["routing"] = list(source.routing)
        if source.severity_map:
            settings["severity_map"] = dict(source.severity_map)
        source.settings = settings
        source.save(update_fields=["settings"])


def settings_into_columns(apps, schema_editor):
    IngestSource = apps.get_model("ingest", "IngestSource")
    for source in IngestSource.objects.all():
        source.routing = list((source.settings or {}).get("routing", []))
        source.severity_map = dict((source.settings or {}).get("severity_map", {}))
        source.save(update_fields=["routing", "severity_map"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_apitoken_scope_and_required_expiry"),
        ("ingest", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ingestsource",
            name="settings",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='The vendor\'s settings, validated by its model: {"routing": [{"field": "service", "value": "PF9KMXH", "team_id": 3}], "severity_map": {"P1": "P0", "*": "P2"}}.',
            ),
        ),
        migrations.RunPython(columns_into_settings, settings_into_columns),
        migrations.RemoveField(
            model_name="ingestsource",
            name="routing",
        ),
        migrations.RemoveField(
            model_name="ingestsource",
            name="severity_map",
        ),
        migrations.AddField(
            model_name="delivery",
            name="detail",
            field=models.CharField(
                blank=True,
                help_text="Why it was ignored, in our words (never the body).",
                max_length=300,
            ),
        ),
        migrations.AlterField(
            model_name="ingestsource",
            name="kind",
            field=models.CharField(max_length=16),
        ),
        migrations.CreateModel(
            name="SlackWorkspace",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("team_id", models.CharField(help_text="T0123ABCD", max_length=32, unique=True)),
                (
                    "name",
                    models.CharField(blank=True, help_text="What people call it.", max_length=100),
                ),
                ("bound_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "bound_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "source",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="slack_workspace",
                        to="ingest.ingestsource",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="SlackLinkRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slack_user_id", models.CharField(max_length=32)),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("expires_at", models.DateTimeField()),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="ingest.slackworkspace",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="SlackIdentity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slack_user_id", models.CharField(max_length=32)),
                ("linked_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "linked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="slack_identities",
                        to="accounts.person",
                    ),
                ),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="identities",
                        to="ingest.slackworkspace",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("workspace", "slack_user_id"), name="one_person_per_slack_member"
                    ),
                    models.UniqueConstraint(
                        fields=("workspace", "person"), name="one_slack_member_per_person"
                    ),
                ],
            },
        ),
    ]

"""Each vendor's settings move from columns of TrackerConfig into one JSON column, validated
by the vendor's own model (``<vendor>/settings.py``): a new vendor needs no migration.

The data moves with them: Jira's project key, issue type and account e-mail, Linear's team
id, GitHub's repository, labels and milestone.
"""

from django.db import migrations, models

# Column -> setting, per vendor, as the columns were on the way out.
MOVES = {
    "jira": {"project_key": "project_key", "issue_type": "issue_type", "user_email": "user_email"},
    "linear": {"linear_team_id": "team_id"},
    "github": {"repository": "repository", "labels": "labels", "milestone": "milestone"},
}


def columns_to_settings(apps, schema_editor):
    TrackerConfig = apps.get_model("integrations", "TrackerConfig")
    for config in TrackerConfig.objects.all():
        settings = {}
        for column, name in MOVES.get(config.kind, {}).items():
            value = getattr(config, column)
            if column == "labels":
                value = [label.strip() for label in (value or "").split(",") if label.strip()]
            if value not in (None, "", []):
                settings[name] = value
        config.settings = settings
        config.save(update_fields=["settings"])


def settings_to_columns(apps, schema_editor):
    TrackerConfig = apps.get_model("integrations", "TrackerConfig")
    for config in TrackerConfig.objects.all():
        settings = config.settings or {}
        for column, name in MOVES.get(config.kind, {}).items():
            value = settings.get(name)
            if column == "labels":
                value = ", ".join(value or [])
            if column == "milestone":
                setattr(config, column, value)
            else:
                setattr(config, column, value or "")
        config.save()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="trackerconfig",
            name="settings",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="The vendor's own settings (its Settings model).",
            ),
        ),
        migrations.RunPython(columns_to_settings, settings_to_columns),
        migrations.RemoveField(model_name="trackerconfig", name="issue_type"),
        migrations.RemoveField(model_name="trackerconfig", name="labels"),
        migrations.RemoveField(model_name="trackerconfig", name="linear_team_id"),
        migrations.RemoveField(model_name="trackerconfig", name="milestone"),
        migrations.RemoveField(model_name="trackerconfig", name="project_key"),
        migrations.RemoveField(model_name="trackerconfig", name="repository"),
        migrations.RemoveField(model_name="trackerconfig", name="user_email"),
        migrations.AlterField(
            model_name="trackerconfig",
            name="kind",
            field=models.CharField(help_text="A tracker of trackers.TRACKERS.", max_length=20),
        ),
        migrations.AlterField(
            model_name="trackerconfig",
            name="base_url",
            field=models.URLField(
                blank=True,
                help_text="Jira: the site, e.g. https://acme.atlassian.net. Others: leave empty "
                "for the public service (GitHub Enterprise Server: https://HOST/api/v3; "
                "self-managed GitLab: https://HOST).",
            ),
        ),
        migrations.AlterField(
            model_name="trackerconfig",
            name="status_map",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Tracker status -> open, in_progress, done or deprioritised, e.g. "
                '{"In Review": "in_progress", "Won\'t Do": "deprioritised"}.',
            ),
        ),
    ]

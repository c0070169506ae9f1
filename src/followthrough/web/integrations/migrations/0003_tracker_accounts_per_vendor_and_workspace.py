"""Tracker accounts belong to one vendor and one workspace (a Jira site, a GitHub or GitLab
host, a Linear team): a team that moves from Jira to Linear never sends a Jira accountId to
Linear. Existing accounts belong to the team's tracker as it is now."""

from urllib.parse import urlsplit

from django.db import migrations, models

PUBLIC_API = {"linear": "https://api.linear.app", "github": "https://api.github.com"}


def workspace_of(config):
    base = config.base_url or PUBLIC_API.get(config.kind, "")
    host = (urlsplit(base).hostname or "").lower()
    if config.kind == "linear":
        return f"{host}/{str((config.settings or {}).get('team_id', '')).lower()}"
    return host


def fill(apps, schema_editor):
    TrackerAccount = apps.get_model("integrations", "TrackerAccount")
    for account in TrackerAccount.objects.select_related("config"):
        account.kind = account.config.kind
        account.workspace = workspace_of(account.config)
        account.save(update_fields=["kind", "workspace"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0002_vendor_settings_in_one_json_column")]

    operations = [
        migrations.AddField(
            model_name="trackeraccount",
            name="kind",
            field=models.CharField(default="", max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="trackeraccount",
            name="workspace",
            field=models.CharField(default="", max_length=200),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="trackeraccount", name="one_account_per_tracker"),
        migrations.AddConstraint(
            model_name="trackeraccount",
            constraint=models.UniqueConstraint(
                fields=("config", "kind", "workspace", "person"),
                name="one_account_per_vendor_workspace",
            ),
        ),
    ]

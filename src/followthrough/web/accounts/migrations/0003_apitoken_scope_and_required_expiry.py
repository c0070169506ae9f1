"""API tokens get a scope (read or write) and must expire.

Tokens issued before this had full access and no expiry: they keep write access (so
scripts go on working) and now expire 90 days after the upgrade.
"""

from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone


def expire_unexpiring_tokens(apps, schema_editor):  # type: ignore[no-untyped-def]
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + timedelta(days=90)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_person_slack_user_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[
                    ("read", "Read: look, never change"),
                    ("write", "Write: read and change what your teams let you change"),
                ],
                default="write",
                max_length=5,
            ),
        ),
        migrations.RunPython(expire_unexpiring_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(),
        ),
        migrations.AlterModelOptions(
            name="apitoken",
            options={"ordering": ["-created_at", "-pk"]},
        ),
    ]

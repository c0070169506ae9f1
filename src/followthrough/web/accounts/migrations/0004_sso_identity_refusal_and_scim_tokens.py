"""Single sign-on keyed by the provider's subject id, refusals kept, SCIM-scoped tokens.

- ``SsoIdentity``: one (issuer, sub) per account (an empty sub is an invitation).
  Accounts that came from single sign-on before this (they signed in, have no usable
  password, and are not admins) become invitations for their address at the issuer
  configured when this runs, so their owner's next sign-in claims them by that address
  once and the account follows the subject id from then on (docs/sign-in.md, "Upgrading").
- ``SsoRefusal``: sign-ins the provider vouched for and followthrough refused, and why.
- ``ApiToken.scope`` gains ``scim``: a token that works only on /scim/v2/.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import migrations, models


def invite_earlier_sso_accounts(apps, schema_editor):  # type: ignore[no-untyped-def]
    if not getattr(settings, "OIDC_ENABLED", False):
        return
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    SsoIdentity = apps.get_model("accounts", "SsoIdentity")
    earlier = User.objects.filter(
        password__startswith=UNUSABLE_PASSWORD_PREFIX,
        last_login__isnull=False,
        is_superuser=False,
        is_staff=False,
    ).exclude(email="")
    SsoIdentity.objects.bulk_create(
        SsoIdentity(user=user, issuer=settings.OIDC_ISSUER, email=user.email) for user in earlier
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_apitoken_scope_and_required_expiry"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[
                    ("read", "Read: look, never change"),
                    ("write", "Write: read and change what your teams let you change"),
                    ("scim", "SCIM: provision and deprovision accounts from the identity provider"),
                ],
                default="write",
                max_length=5,
            ),
        ),
        migrations.CreateModel(
            name="SsoRefusal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("issuer", models.CharField(max_length=255)),
                ("subject", models.CharField(max_length=255)),
                ("email", models.CharField(blank=True, max_length=254)),
                ("reason", models.CharField(max_length=40)),
                ("message", models.TextField(help_text="The sentence the person was shown.")),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        help_text="The account the sign-in would have used, if there was one.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "refused single sign-on",
                "ordering": ["-at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="SsoIdentity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("issuer", models.CharField(max_length=255)),
                (
                    "subject",
                    models.CharField(
                        blank=True,
                        help_text="The provider's `sub`; empty until first sign-in.",
                        max_length=255,
                    ),
                ),
                (
                    "email",
                    models.EmailField(
                        blank=True, help_text="The address the provider last gave.", max_length=254
                    ),
                ),
                (
                    "scim_external_id",
                    models.CharField(
                        blank=True,
                        help_text="The provider's id for this account in SCIM.",
                        max_length=255,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sso_identity",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "single sign-on identity",
                "verbose_name_plural": "single sign-on identities",
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("subject", ""), _negated=True),
                        fields=("issuer", "subject"),
                        name="one_account_per_sso_subject",
                    )
                ],
            },
        ),
        migrations.RunPython(invite_earlier_sso_accounts, migrations.RunPython.noop),
    ]

"""Tracker webhook deliveries are de-duplicated on the signed content (a digest of the raw
body), not on the vendor's delivery header, which nobody signs: a captured body sent again
under a new delivery id is recognised. Deliveries received before keep no key (they age out
with LOG_RETENTION_DAYS)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("integrations", "0004_tracker_links_on_the_delivery_base_for_two_way_sync")]

    operations = [
        migrations.RemoveConstraint(model_name="webhookdelivery", name="one_delivery_per_id"),
        migrations.AddField(
            model_name="webhookdelivery",
            name="content_key",
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="delivery_id",
            field=models.CharField(blank=True, max_length=128),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="kind",
            field=models.CharField(max_length=20),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(("content_key", ""), _negated=True),
                fields=("team", "kind", "content_key"),
                name="one_delivery_per_signed_content",
            ),
        ),
    ]

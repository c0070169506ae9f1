from django.contrib import admin

from followthrough.web.followup.models import (
    Escalation,
    JobRun,
    Notification,
    Preferences,
    TeamSettings,
)


@admin.register(TeamSettings)
class TeamSettingsAdmin(admin.ModelAdmin):
    list_display = ["team", "review_weekday", "review_hour", "stalled_after_days"]
    # The Slack webhook URL and bot token are secrets: set them on the team's follow-up
    # settings page, which never shows them back.
    exclude = ["slack_webhook_url", "slack_bot_token"]


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ["person", "email_enabled", "slack_enabled", "digest_enabled"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "channel", "recipient", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["subject", "dedupe_key"]
    readonly_fields = ["dedupe_key", "claimed_by", "claimed_until", "sent_at"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["job", "started_at", "finished_at", "worker", "failed", "outcome"]
    list_filter = ["job", "failed"]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["item", "level", "to_person", "at", "reason"]

from django.contrib import admin

from followthrough.web.postmortems.models import (
    ContributingFactor,
    Meeting,
    Postmortem,
    TimelineEvent,
    Why,
)


class WhyInline(admin.TabularInline):
    model = Why
    extra = 0


class TimelineInline(admin.TabularInline):
    model = TimelineEvent
    extra = 0


class FactorInline(admin.TabularInline):
    model = ContributingFactor
    extra = 0


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ["incident", "status", "root_cause_category", "finalized_at", "closed_at"]
    list_filter = ["status", "root_cause_category"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [TimelineInline, WhyInline, FactorInline]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "facilitator", "scheduled_for", "held_at"]
    autocomplete_fields = ["facilitator", "attendees"]

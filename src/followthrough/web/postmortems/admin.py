from django.contrib import admin

from followthrough.web.postmortems.models import (
    ContributingFactor,
    Meeting,
    Postmortem,
    TimelineEvent,
    Why,
)
from followthrough.web.softdelete_admin import SoftDeleteAdmin


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
class PostmortemAdmin(SoftDeleteAdmin):
    # A postmortem is deleted with its incident (restoring it restores the incident's batch).
    trashable = False
    list_display = ["incident", "status", "root_cause_category", "finalized_at", "closed_at"]
    list_filter = ["status", "root_cause_category"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [TimelineInline, WhyInline, FactorInline]


@admin.register(Meeting)
class MeetingAdmin(SoftDeleteAdmin):
    trashable = False
    list_display = ["postmortem", "facilitator", "scheduled_for", "held_at"]
    autocomplete_fields = ["facilitator", "attendees"]


@admin.register(Why)
class WhyAdmin(SoftDeleteAdmin):
    list_display = ["question", "postmortem", "position"]
    search_fields = ["question", "answer"]
    raw_id_fields = ["postmortem"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(SoftDeleteAdmin):
    list_display = ["occurred_at", "description", "postmortem"]
    search_fields = ["description"]
    raw_id_fields = ["postmortem"]


@admin.register(ContributingFactor)
class ContributingFactorAdmin(SoftDeleteAdmin):
    list_display = ["description", "kind", "postmortem"]
    list_filter = ["kind"]
    search_fields = ["description"]
    raw_id_fields = ["postmortem"]

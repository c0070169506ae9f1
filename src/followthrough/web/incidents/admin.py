from django.contrib import admin

from followthrough.web.incidents.models import Incident
from followthrough.web.softdelete_admin import SoftDeleteAdmin


@admin.register(Incident)
class IncidentAdmin(SoftDeleteAdmin):
    list_display = ["key", "title", "team", "severity", "resolved_at", "source"]
    list_filter = ["team", "severity", "source", "security", "near_miss"]
    search_fields = ["title", "failure_mode", "external_id"]
    autocomplete_fields = ["commander", "responders", "repeat_of"]
    readonly_fields = ["version", "created_at", "updated_at"]

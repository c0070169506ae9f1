from django.contrib import admin

from followthrough.web.actions.models import ActionItem
from followthrough.web.softdelete_admin import SoftDeleteAdmin


@admin.register(ActionItem)
class ActionItemAdmin(SoftDeleteAdmin):
    list_display = ["title", "owner", "due_date", "status", "postmortem"]
    list_filter = ["status"]
    search_fields = ["title"]
    autocomplete_fields = ["owner"]

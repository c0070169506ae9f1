from django.contrib import admin

from followthrough.web.actions.models import ActionItem


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "due_date", "status", "postmortem"]
    list_filter = ["status"]
    search_fields = ["title"]
    autocomplete_fields = ["owner"]

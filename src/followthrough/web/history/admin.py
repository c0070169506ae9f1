from django.contrib import admin
from django.http import HttpRequest

from followthrough.web.history.models import Change


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "object_repr", "content_type", "actor", "actor_label"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "note"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

"""The Django admin's view of soft-deleted rows: shown, filterable, restorable by superusers.

The admin lists deleted rows too (``all_objects``), with a "deleted" filter, and two
actions: *Move to trash* (a soft delete, as the pages and the API do) and *Restore* (the
whole delete batch of each selected row, superusers only). Django's own delete action stays
what it was: a permanent delete, for rows that must really go.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from followthrough.web import recovery


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "No"), ("yes", "Yes")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


@admin.display(boolean=True, description="deleted")
def is_deleted(obj: Any) -> bool:
    return obj.deleted_at is not None


class SoftDeleteAdmin(admin.ModelAdmin):
    """A ModelAdmin that sees deleted rows and restores them."""

    #: False for rows deleted only with their parent (a postmortem goes with its incident)
    trashable = True
    actions = ["restore_selected", "move_to_trash"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = self.model.all_objects.get_queryset()
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return queryset

    def get_list_display(self, request: HttpRequest) -> Any:
        return [*super().get_list_display(request), is_deleted, "deleted_at", "deleted_by"]

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [DeletedFilter, *super().get_list_filter(request)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, *(f for f in ("deleted_at", "deleted_by", "deletion") if f not in fields)]

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        if not self.trashable:
            actions.pop("move_to_trash", None)
        return actions

    def has_restore_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_trash_permission(self, request: HttpRequest) -> bool:
        return self.has_delete_permission(request)

    @admin.action(
        description="Restore the selected deleted rows (with their delete)", permissions=["restore"]
    )
    def restore_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        rows = list(queryset.filter(deleted_at__isnull=False))
        if not rows:
            self.message_user(request, "None of the selected rows is deleted.", messages.WARNING)
            return
        try:
            restored = recovery.restore_rows(rows, request.user)
        except recovery.RestoreRefused as e:
            self.message_user(
                request, "Nothing was restored: " + " ".join(e.reasons), messages.ERROR
            )
            return
        self.message_user(
            request,
            f"Restored {len(restored)} row{'s' if len(restored) != 1 else ''}: "
            + "; ".join(recovery.describe(r) for r in restored[:10])
            + ("…" if len(restored) > 10 else "."),
            messages.SUCCESS,
        )

    @admin.action(description="Move the selected rows to the trash", permissions=["trash"])
    def move_to_trash(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        moved = 0
        for row in queryset.filter(deleted_at__isnull=True):
            try:
                moved += len(recovery.delete(row, request.user).rows)
            except recovery.AlreadyDeleted:
                continue
        self.message_user(
            request, f"Moved {moved} row{'s' if moved != 1 else ''} to the trash.", messages.SUCCESS
        )

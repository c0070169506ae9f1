from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from followthrough.web.accounts.models import (
    ApiToken,
    Membership,
    Organisation,
    Person,
    SsoIdentity,
    SsoRefusal,
    Team,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "timezone",
        "holiday_country",
        "holiday_subdivision",
        "is_private",
        "lead",
    ]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "handle", "slack_user_id", "user", "manager"]
    search_fields = ["name", "email", "handle", "slack_user_id"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins see and revoke anyone's tokens; tokens are created on the API tokens page or
    by ``followthrough createuser --token`` (the secret is shown there, once)."""

    list_display = [
        "prefix",
        "user",
        "name",
        "scope",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__username", "user__email"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "scope",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a token made here would have no secret anyone could see

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token{'s' if count != 1 else ''}.")


@admin.register(SsoIdentity)
class SsoIdentityAdmin(admin.ModelAdmin):
    """Who each account is at the identity provider. Adding one with an empty subject
    invites that (non-admin) account: the next sign-in with its address claims it."""

    list_display = ["user", "issuer", "subject", "email", "scim_external_id", "updated_at"]
    search_fields = ["user__username", "email", "subject", "scim_external_id"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, str]:
        return {"issuer": str(getattr(settings, "OIDC_ISSUER", "") or "")}


@admin.register(SsoRefusal)
class SsoRefusalAdmin(admin.ModelAdmin):
    """Sign-ins the provider vouched for and followthrough refused (read-only)."""

    list_display = ["at", "email", "reason", "subject", "issuer", "user"]
    list_filter = ["reason"]
    search_fields = ["email", "subject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


admin.site.register(Organisation)

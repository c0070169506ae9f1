from django.contrib import admin

from followthrough.web.accounts.models import ApiToken, Membership, Organisation, Person, Team


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
    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    exclude = ["digest"]


admin.site.register(Organisation)

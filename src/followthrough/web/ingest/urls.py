"""Pages and endpoints of the ingest app, included at the site root."""

from django.urls import URLPattern, URLResolver, path

from . import views
from .opsgenie.views import receive_opsgenie
from .pagerduty.views import receive_pagerduty
from .slack.views import slash_command
from .webhook.views import receive_webhook

urlpatterns: list[URLPattern | URLResolver] = [
    # Signed endpoints the vendors post to (CSRF-exempt, no session).
    path("ingest/pagerduty/<int:source_id>/", receive_pagerduty, name="ingest-pagerduty"),
    path("ingest/opsgenie/<int:source_id>/", receive_opsgenie, name="ingest-opsgenie"),
    path("ingest/webhook/<int:source_id>/", receive_webhook, name="ingest-webhook"),
    path("ingest/slack/commands/", slash_command, name="ingest-slack-commands"),
    # Pages to configure sources.
    path("sources/", views.source_list, name="ingest-source-list"),
    path("sources/new/", views.source_create, name="ingest-source-create"),
    path("sources/<int:pk>/", views.source_edit, name="ingest-source-edit"),
]

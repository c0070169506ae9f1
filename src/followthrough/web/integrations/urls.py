"""Pages and endpoints of the integrations app, included at the site root."""

from django.urls import URLPattern, URLResolver, path

from followthrough.web.integrations import views

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "integrations/<str:kind>/webhook/<slug:team_slug>/",
        views.tracker_webhook,
        name="tracker-webhook",
    ),
    path("teams/<slug:team_slug>/tracker/", views.tracker_settings, name="tracker-settings"),
    path("incidents/<int:pk>/postmortem/meeting.ics", views.meeting_ics, name="meeting-ics"),
    path(
        "incidents/<int:pk>/postmortem/actions/<int:item_id>/tracker/retry/",
        views.retry_item,
        name="tracker-retry",
    ),
]

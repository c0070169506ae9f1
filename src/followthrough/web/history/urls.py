"""Pages and endpoints of the history app, included at the site root."""

from django.urls import URLPattern, URLResolver, path

from followthrough.web.history import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("history/", views.history, name="history"),
    path("history/incidents/<int:pk>/", views.incident_history, name="incident-history"),
    path(
        "history/incidents/<int:pk>/postmortem/",
        views.postmortem_history,
        name="postmortem-history",
    ),
    path("history/action-items/<int:pk>/", views.action_item_history, name="action-item-history"),
    path("history/teams/<slug:slug>/", views.team_history, name="team-history"),
]

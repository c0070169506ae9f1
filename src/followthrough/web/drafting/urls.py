"""The drafted timeline's pages, included at the site root."""

from django.urls import path

from followthrough.web.drafting import views

urlpatterns = [
    path("incidents/<int:pk>/postmortem/draft/", views.panel, name="timeline-draft"),
    path(
        "incidents/<int:pk>/postmortem/draft/events/<int:event_id>/",
        views.decide_event,
        name="timeline-draft-event",
    ),
    path("incidents/<int:pk>/postmortem/draft/accept/", views.accept, name="timeline-draft-accept"),
    path("incidents/<int:pk>/postmortem/draft/slack/", views.slack, name="timeline-draft-slack"),
    path(
        "incidents/<int:pk>/postmortem/draft/slack-export/",
        views.slack_export,
        name="timeline-draft-slack-export",
    ),
    path("incidents/<int:pk>/postmortem/draft/github/", views.github, name="timeline-draft-github"),
    path("teams/<slug:slug>/timeline-sources/", views.sources, name="timeline-sources"),
]

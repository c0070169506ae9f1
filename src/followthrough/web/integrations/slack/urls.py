"""Slack's endpoint and pages, included at the site root by the vendor registry."""

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("ingest/slack/commands/", views.slash_command, name="ingest-slack-commands"),
    path("slack/link/<str:token>/", views.link_page, name="slack-link"),
    path("sources/<int:pk>/slack/", views.workspace_page, name="slack-workspace"),
]

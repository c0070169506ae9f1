"""Pages of the writing assistant, included at the site root."""

from django.urls import path

from followthrough.web.assistant import views

pm = "incidents/<int:pk>/postmortem/assistant/"

urlpatterns = [
    path("settings/assistant/", views.settings_page, name="assistant-settings"),
    path(pm, views.panel, name="assistant-panel"),
    path(pm + "proposals/", views.proposals, name="assistant-proposals"),
    path(pm + "accept/", views.accept, name="assistant-accept"),
    path(pm + "discard/", views.discard, name="assistant-discard"),
]

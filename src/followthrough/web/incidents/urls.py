"""Pages of the incidents app, included at the site root."""

from django.urls import path

from followthrough.web.incidents import views as incidents

urlpatterns = [
    path("", incidents.incident_list, name="incident-list"),
    path("incidents/new/", incidents.incident_create, name="incident-create"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/edit/", incidents.incident_edit, name="incident-edit"),
    path("incidents/<int:pk>/delete/", incidents.incident_delete, name="incident-delete"),
    path(
        "incidents/<int:pk>/start-postmortem/", incidents.postmortem_start, name="postmortem-start"
    ),
]

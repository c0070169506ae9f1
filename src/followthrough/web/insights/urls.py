"""Pages and endpoints of the insights app, included at the site root."""

from django.urls import URLPattern, URLResolver, path

from followthrough.web.insights import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("insights/", views.dashboard, name="insights"),
    path("insights/drill/", views.drill, name="insights-drill"),
    path("insights/export.csv", views.export_csv, name="insights-csv"),
    path("insights/export.json", views.export_json, name="insights-json"),
    path("incidents/<int:pk>/similar/", views.similar, name="incident-similar"),
    path(
        "incidents/<int:pk>/similar/<int:candidate_id>/",
        views.similar_decide,
        name="incident-similar-decide",
    ),
    path("incidents/<int:pk>/postmortem/copied/", views.copied, name="postmortem-copied"),
]

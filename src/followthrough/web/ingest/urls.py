"""Pages and endpoints of the ingest app, included at the site root.

Vendors with endpoints of their own (Slack) include their URL module from the registry.
"""

from django.urls import URLPattern, URLResolver, include, path

from followthrough.web.integrations.vendors import sources

from . import views
from .receiving import receive_view

urlpatterns: list[URLPattern | URLResolver] = [
    # The signed endpoint every registry vendor with verify/parse posts to (CSRF-exempt).
    path("ingest/<str:kind>/<int:source_id>/", receive_view, name="ingest-receive"),
    # Pages to configure sources.
    path("sources/", views.source_list, name="ingest-source-list"),
    path("sources/new/", views.source_create, name="ingest-source-create"),
    path("sources/<int:pk>/", views.source_edit, name="ingest-source-edit"),
    # Vendors' own endpoints and pages.
    *(path("", include(vendor.urls)) for vendor in sources().values() if vendor.urls),
]

from django.contrib import admin
from django.urls import include, path

from followthrough.web.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("scim/v2/", include("followthrough.web.accounts.scim.urls")),  # docs/sign-in.md
    path("", include("followthrough.web.followup.urls")),
    path("", include("followthrough.web.ingest.urls")),
    path("", include("followthrough.web.integrations.urls")),
    path("", include("followthrough.web.insights.urls")),
    path("", include("followthrough.web.history.urls")),
    path("", include("followthrough.web.assistant.urls")),
    path("", include("followthrough.web.drafting.urls")),
    path("", include("followthrough.web.accounts.urls")),
    path("", include("followthrough.web.incidents.urls")),
    path("", include("followthrough.web.postmortems.urls")),
    path("", include("followthrough.web.actions.urls")),
    path("", include("followthrough.web.front.urls")),
]

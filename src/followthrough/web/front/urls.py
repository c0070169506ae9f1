"""The pages that span every app (the trash), included at the site root."""

from django.urls import path

from followthrough.web.front import trash

urlpatterns = [
    path("trash/", trash.trash, name="trash"),
    path("trash/<uuid:batch>/restore/", trash.trash_restore, name="trash-restore"),
]

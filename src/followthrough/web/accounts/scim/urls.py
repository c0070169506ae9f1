"""/scim/v2/… (mounted by followthrough.web.urls)."""

from django.urls import re_path

from followthrough.web.accounts.scim import views

# Providers send the paths without a trailing slash; one is accepted too.
urlpatterns = [
    re_path(r"^Users/?$", views.users_view, name="scim-users"),
    re_path(r"^Users/(?P<pk>[^/]+)/?$", views.user_view, name="scim-user"),
    re_path(r"^ServiceProviderConfig/?$", views.service_provider_config, name="scim-config"),
    re_path(r"^ResourceTypes/?$", views.resource_types, name="scim-resource-types"),
    re_path(r"^(?P<rest>.*)$", views.not_here),
]

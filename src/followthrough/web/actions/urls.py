"""Pages of the actions app (the editor's action items), included at the site root."""

from django.urls import path

from followthrough.web.actions import views as actions

pm = "incidents/<int:pk>/postmortem/"

urlpatterns = [
    path(pm + "actions/", actions.action_add, name="action-add"),
    path(pm + "actions/<int:item_id>/status/", actions.action_status, name="action-status"),
    path(pm + "actions/<int:item_id>/edit/", actions.action_edit, name="action-edit"),
]

"""Pages of the postmortems app (the editor, its lint panel, the meeting),
included at the site root."""

from django.urls import path

from followthrough.web.postmortems.views import editor as postmortems
from followthrough.web.postmortems.views import lint, meetings

pm = "incidents/<int:pk>/postmortem/"

urlpatterns = [
    path(pm, postmortems.postmortem_editor, name="postmortem"),
    path("incidents/<int:pk>/postmortem.md", lint.markdown_download, name="postmortem-markdown"),
    path(pm + "lint/", lint.lint_findings, name="postmortem-lint"),
    path(pm + "lint/draft/", lint.lint_draft, name="postmortem-lint-draft"),
    path(pm + "sections/", postmortems.sections_save, name="postmortem-sections"),
    path(pm + "status/", postmortems.status_change, name="postmortem-status"),
    path(pm + "whys/", postmortems.why_add, name="why-add"),
    path(pm + "whys/<int:why_id>/", postmortems.why_edit, name="why-edit"),
    path(pm + "whys/<int:why_id>/delete/", postmortems.why_delete, name="why-delete"),
    path(
        pm + "whys/<int:why_id>/move/<str:direction>/",
        postmortems.why_move,
        name="why-move",
    ),
    path(pm + "timeline/", postmortems.event_add, name="event-add"),
    path(pm + "timeline/<int:event_id>/edit/", postmortems.event_edit, name="event-edit"),
    path(pm + "timeline/<int:event_id>/delete/", postmortems.event_delete, name="event-delete"),
    path(pm + "factors/", postmortems.factor_add, name="factor-add"),
    path(pm + "factors/<int:factor_id>/edit/", postmortems.factor_edit, name="factor-edit"),
    path(pm + "factors/<int:factor_id>/delete/", postmortems.factor_delete, name="factor-delete"),
    path(
        pm + "factors/<int:factor_id>/move/<str:direction>/",
        postmortems.factor_move,
        name="factor-move",
    ),
    path(
        pm + "actions/<int:item_id>/delete/",
        postmortems.action_item_delete,
        name="action-item-delete",
    ),
    path(pm + "meeting/", meetings.meeting_save, name="meeting-save"),
]

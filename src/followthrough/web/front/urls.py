from django.contrib.auth import views as auth_views
from django.urls import path

from followthrough.web.accounts import oidc

from .views import (
    actions,
    incidents,
    lint,
    meetings,
    onboarding,
    people,
    postmortems,
    teams,
    tokens,
    trash,
)

pm = "incidents/<int:pk>/postmortem/"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=oidc.SignInForm
        ),
        name="login",
    ),
    path("logout/", oidc.Logout.as_view(), name="logout"),
    # Single sign-on (404 unless FOLLOWTHROUGH_OIDC_* configure it); the names are the library's.
    path("oidc/authenticate/", oidc.Authenticate.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.Callback.as_view(), name="oidc_authentication_callback"),
    path("account/tokens/", tokens.token_list, name="token-list"),
    path("account/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
    path("", incidents.incident_list, name="incident-list"),
    path("incidents/new/", incidents.incident_create, name="incident-create"),
    path("welcome/", onboarding.welcome, name="welcome"),
    path("invite/<str:secret>/", onboarding.accept_invitation, name="invitation-accept"),
    path("teams/", teams.team_list, name="team-list"),
    path("teams/new/", teams.team_create, name="team-create"),
    path("teams/<slug:slug>/", teams.team_detail, name="team-detail"),
    path("teams/<slug:slug>/settings/", teams.team_settings, name="team-settings"),
    path("teams/<slug:slug>/members/", teams.member_add, name="team-member-add"),
    path("teams/<slug:slug>/members/<int:pk>/", teams.member_role, name="team-member-role"),
    path(
        "teams/<slug:slug>/members/<int:pk>/remove/",
        teams.member_remove,
        name="team-member-remove",
    ),
    path("teams/<slug:slug>/invite/", teams.team_invite, name="team-invite"),
    path(
        "teams/<slug:slug>/invitations/<int:pk>/revoke/",
        teams.invitation_revoke,
        name="team-invitation-revoke",
    ),
    path("teams/<slug:slug>/delete/", teams.team_delete, name="team-delete"),
    path("people/", people.people_list, name="people"),
    path("people/add/", people.person_add, name="person-add"),
    path("people/invite/", people.person_invite, name="person-invite"),
    path("people/<int:pk>/edit/", people.person_edit, name="person-edit"),
    path("people/<int:pk>/delete/", people.person_delete, name="person-delete"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/edit/", incidents.incident_edit, name="incident-edit"),
    path("incidents/<int:pk>/delete/", incidents.incident_delete, name="incident-delete"),
    path("trash/", trash.trash, name="trash"),
    path("trash/<uuid:batch>/restore/", trash.trash_restore, name="trash-restore"),
    path(
        "incidents/<int:pk>/start-postmortem/", incidents.postmortem_start, name="postmortem-start"
    ),
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
    path(pm + "actions/", actions.action_add, name="action-add"),
    path(pm + "actions/<int:item_id>/status/", actions.action_status, name="action-status"),
    path(pm + "actions/<int:item_id>/edit/", actions.action_edit, name="action-edit"),
    path(
        pm + "actions/<int:item_id>/delete/",
        postmortems.action_item_delete,
        name="action-item-delete",
    ),
    path(pm + "meeting/", meetings.meeting_save, name="meeting-save"),
]

"""Pages of the accounts app (signing in, tokens, onboarding, teams, people),
included at the site root."""

from django.contrib.auth import views as auth_views
from django.urls import path

from followthrough.web.accounts import oidc
from followthrough.web.accounts.views import onboarding, people, teams, tokens

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
]

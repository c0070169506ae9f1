"""A person's own API tokens: list, create (the secret is shown once), revoke.

Only a token's SHA-256 is stored, so the secret exists on exactly one page: the answer to
the form that created it (not cached, never shown again). Admins revoke anyone's token in
Django's admin.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.web.accounts.models import (
    API_SCOPES,
    TOKEN_DEFAULT_DAYS,
    TOKEN_MAX_DAYS,
    ApiToken,
    TokenScope,
)
from followthrough.web.front.common import login_required


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What uses it, e.g. “CI lint job” or “laptop script”.",
    )
    scope = forms.ChoiceField(
        choices=[(s.value, s.label) for s in API_SCOPES],  # SCIM tokens: `followthrough scim-token`
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text="A read token is refused (403) on anything that changes data.",
    )
    expires_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=TOKEN_MAX_DAYS,
        initial=TOKEN_DEFAULT_DAYS,
        help_text=f"1 to {TOKEN_MAX_DAYS} days. Every token expires; create a new one then.",
        error_messages={
            "min_value": f"A token must live at least 1 day (1 to {TOKEN_MAX_DAYS}).",
            "max_value": f"A token may live at most {TOKEN_MAX_DAYS} days.",
            "invalid": f"Give a whole number of days, 1 to {TOKEN_MAX_DAYS}.",
        },
    )


def _list(request: HttpRequest, form: TokenForm, status: int = 200) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")
    return render(request, "front/token_list.html", {"tokens": tokens, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def token_list(request: HttpRequest) -> HttpResponse:
    """GET: your tokens and the form; POST: a new token, its secret on this answer only."""
    if request.method != "POST":
        return _list(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _list(request, form, status=422)
    token, secret = ApiToken.issue_for_days(
        request.user,  # type: ignore[arg-type]
        name=form.cleaned_data["name"],
        days=form.cleaned_data["expires_days"],
        scope=form.cleaned_data["scope"],
    )
    # never_cache: no browser or proxy keeps this page, and Back cannot show it again.
    return render(request, "front/token_created.html", {"token": token, "secret": secret})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of your own tokens; anyone else's is 404, as if it did not exist."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoke():
        messages.success(request, f"Token “{token.name}” ({token.prefix}…) is revoked.")
    else:
        messages.info(request, f"Token “{token.name}” ({token.prefix}…) was already revoked.")
    return redirect("token-list")

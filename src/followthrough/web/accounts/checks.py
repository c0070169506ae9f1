"""System checks of the single sign-on settings (``followthrough manage check``; ``serve``
runs them before it starts and refuses to start on an error)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from followthrough.web.accounts import oidc
from followthrough.web.accounts.models import Role


@checks.register(checks.Tags.security)
def check_single_sign_on(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not oidc.enabled():
        return []
    found: list[checks.CheckMessage] = [
        checks.Error(
            f"{variable} is {url!r}: the provider must be reached over https (plain http is "
            "accepted only on a loopback address, for tests and a provider on this machine).",
            hint="Use the provider's https:// address.",
            id="followthrough.E101",
        )
        for variable, url in oidc.insecure_urls().items()
    ]
    for group, targets in getattr(settings, "OIDC_TEAM_GROUPS", {}).items():
        for slug, role in targets:
            if role not in Role.values:
                found.append(
                    checks.Error(
                        f"FOLLOWTHROUGH_OIDC_TEAM_GROUPS gives the group {group!r} the role "
                        f"{role!r} on {slug!r}; a role is one of {', '.join(Role.values)}.",
                        id="followthrough.E102",
                    )
                )
    if not settings.OIDC_ALLOWED_DOMAINS and not settings.OIDC_INVITE_ONLY:
        found.append(
            checks.Warning(
                "Single sign-on is on with no allowed domain and not invite-only: nobody new "
                "can get an account through it (only invited people and accounts it already "
                "knows can sign in).",
                hint="Set FOLLOWTHROUGH_OIDC_ALLOWED_DOMAINS (e.g. example.com; with Google, "
                "your Workspace domain), or FOLLOWTHROUGH_OIDC_INVITE_ONLY=true to say that "
                "this is intended.",
                id="followthrough.W101",
            )
        )
    return found

"""What the login page needs to know about single sign-on."""

from __future__ import annotations

from django import template

from followthrough.web.accounts import oidc

register = template.Library()


@register.simple_tag
def single_sign_on() -> str:
    """The provider's display name when single sign-on is on, else an empty string."""
    return oidc.provider_name() if oidc.enabled() else ""


@register.simple_tag
def passwords_for_admins_only() -> bool:
    """Whether the password form is for admins only (everyone else uses single sign-on)."""
    return oidc.sso_only()

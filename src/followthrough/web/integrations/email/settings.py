"""E-mail has no vendor settings of its own: the server is the operator's (``EMAIL_*``)."""

from __future__ import annotations

from followthrough.web.integrations.base import VendorSettings


class Settings(VendorSettings):
    """Nothing to set per team: each person's address is on their person."""

"""``followthrough manage refresh_derived``: recompute every incident's stored values."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from followthrough.web.postmortems import derived


class Command(BaseCommand):
    help = (
        "Recompute what every incident list shows (policy decision, next milestone, "
        "deadlines) for every incident: after a change of the holiday data, say."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = derived.refresh()
        self.stdout.write(f"{changed} incident(s) changed.")

"""What the postmortem editor costs to render: p50/p95 of GET over N requests, with the
template includes and form-widget renders of one page, and the load average beside each.

    .venv/bin/python bench/editor/render.py                    # every tab, 200 requests each
    .venv/bin/python bench/editor/render.py --requests 50 --tabs summary,actions

Runs in one process on a fresh SQLite data folder with the demo organisation, through
Django's test client signed in as an editor of its team, on the demo postmortem (draft or in
review: every form shown) with the most timeline events, whys, factors and items. ``--src`` runs another checkout's code (e.g. the
editor before it rendered one section at a time: ``git archive <commit> | tar -x -C DIR``,
then ``--src DIR/src --tabs all``); ``all`` is the editor's address without ``?section=``.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--tabs",
        default="all,summary,impact,timeline,whys,factors,actions,meeting",
        help="comma-separated ?section= values; 'all' is the address without one",
    )
    parser.add_argument("--src", type=Path, help="import followthrough from this src folder")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, str(args.src.resolve()))
    data = tempfile.mkdtemp(prefix="ft-editor-bench-")
    os.environ["FOLLOWTHROUGH_DATA_DIR"] = data
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "followthrough.web.settings")
    os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Count
    from django.forms.widgets import Widget
    from django.test import Client
    from django.test.signals import template_rendered
    from django.test.utils import setup_test_environment

    import followthrough

    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    call_command("migrate", verbosity=0)
    from followthrough.web.demo import load_demo
    from followthrough.web.postmortems.models import Postmortem

    load_demo()
    from django.contrib.auth import get_user_model

    postmortem = (
        Postmortem.objects.filter(status__in=["draft", "in_review"])
        .annotate(
            n=Count("timeline_events", distinct=True)
            + Count("whys", distinct=True)
            + Count("factors", distinct=True)
            + Count("action_items", distinct=True)
        )
        .order_by("-n")
        .first()
    )
    assert postmortem is not None
    # An editor of the postmortem's team (the page with its forms), in status draft/in review.
    from followthrough.web.accounts.models import Membership

    editor = get_user_model().objects.get(
        pk=Membership.objects.filter(team=postmortem.incident.team, role__in=["editor", "lead"])
        .exclude(person__user=None)
        .values_list("person__user", flat=True)
        .first()
    )
    client = Client()
    client.force_login(editor)
    base = f"/incidents/{postmortem.incident_id}/postmortem/"

    templates: list[str] = []

    def rendered(sender: object, template: object, context: object, **kw: object) -> None:
        templates.append(str(getattr(template, "name", "")))

    template_rendered.connect(rendered, weak=False)
    widgets = [0]
    render = Widget.render

    def counted(self: Widget, *a: object, **kw: object) -> object:
        widgets[0] += 1
        return render(self, *a, **kw)

    Widget.render = counted  # type: ignore[method-assign,assignment]

    print(f"followthrough from {Path(followthrough.__file__).parent}")
    print(f"postmortem of incident {postmortem.incident_id}, {args.requests} requests per tab")
    print(f"{'tab':<10} {'p50 ms':>8} {'p95 ms':>8} {'includes':>9} {'widgets':>8}  load avg")
    for tab in args.tabs.split(","):
        url = base if tab == "all" else f"{base}?section={tab}"
        templates.clear()
        widgets[0] = 0
        response = client.get(url)
        if response.status_code != 200:
            print(f"{tab:<10} HTTP {response.status_code}")
            continue
        renders, widget_renders = len(templates) - 1, widgets[0]  # the page itself aside
        for _ in range(args.warmup):
            client.get(url)
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        p50 = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[18]
        print(f"{tab:<10} {p50:8.1f} {p95:8.1f} {renders:9d} {widget_renders:8d}  {load()}")


if __name__ == "__main__":
    main()

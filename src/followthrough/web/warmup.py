"""What a server process does once at start, so that no person's request pays for it.

Measured on the demo organisation (bench/web/pages.py), a fresh process's first request
imported every view behind the URLconf (~300 modules, ~0.6 s of CPU), each page's first
request compiled its templates and the linter's regular expressions, the first
similar-incident look-up imported the stemmer; later, every few hundred requests, a full
pass of the garbage collector walked the ~200,000 objects the start-up had made (~200 ms
of CPU in one person's request). :func:`warm_up` does the first ones at start, then
freezes what it made (``gc.freeze``): the collector no longer walks those objects, and
processes forked afterwards (gunicorn's workers with ``--preload``) share them.

Nothing here touches the database: a connection opened before the fork would be shared by
every worker.
"""

from __future__ import annotations

import gc
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.forms.renderers import get_default_renderer
from django.shortcuts import resolve_url
from django.template import engines

from followthrough.core import regex
from followthrough.core.similarity import load_word_forms

#: the files the template engines read (images or fonts beside them are not templates)
TEMPLATE_SUFFIXES = frozenset({".html", ".txt", ".ics", ".xml", ".md", ".svg", ".js", ".json"})


def warm_up() -> None:
    """Import every view and build the routes' reverse tables, compile every template and
    pattern, read the word table, then freeze the heap."""
    import_module(settings.ROOT_URLCONF)  # each app's URLs, and with them every view
    resolve_url(settings.LOGIN_URL)  # the first reverse() builds every route's reverse table
    import followthrough.core.rules  # noqa: F401  the linter the editor pages run

    compile_templates()
    regex.compile_all()
    load_word_forms()  # the word table and the stemmer (even when every word is kept)
    gc.collect()
    gc.freeze()


def compile_templates() -> int:
    """Load every template the pages' engine can find, and Django's form and widget
    templates into the forms' engine (the forms use no other), into their cached loaders;
    the number loaded."""
    loaded = 0
    renderer = get_default_renderer()
    backends = [(backend, backend.get_template, "") for backend in engines.all()]
    form_backend = getattr(renderer, "engine", None)  # the forms' own engine, when it has one
    if form_backend is not None:
        backends.append((form_backend, renderer.get_template, "django/forms/"))
    for backend, get_template, prefix in backends:
        backend.engine.template_context_processors  # noqa: B018  imported at first use
        seen: set[str] = set()
        for folder in map(Path, backend.template_dirs):
            for path in sorted(folder.rglob("*")):
                name = path.relative_to(folder).as_posix()
                if (
                    path.suffix not in TEMPLATE_SUFFIXES
                    or not name.startswith(prefix)
                    or name in seen
                    or not path.is_file()
                ):
                    continue
                seen.add(name)  # the first folder's copy is the one a page gets
                get_template(name)
                loaded += 1
    return loaded

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "followthrough.web.settings")
application = get_wsgi_application()

# Before the first request (and, under `followthrough serve`, before gunicorn forks its
# workers): what would otherwise be paid by the first person to open each page.
from followthrough.web.warmup import warm_up  # noqa: E402  needs the settings loaded

warm_up()

from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "followthrough.web.ingest"
    label = "ingest"
    verbose_name = "Incidents in (paging, chat, webhooks)"

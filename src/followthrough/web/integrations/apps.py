from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "followthrough.web.integrations"
    label = "integrations"

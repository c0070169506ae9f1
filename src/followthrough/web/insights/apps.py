from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "followthrough.web.insights"
    label = "insights"
